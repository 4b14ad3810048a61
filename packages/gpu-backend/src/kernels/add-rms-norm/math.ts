import type { TensorInfo } from '../../backend.js';
import { assertSameShape, fmt, kernelError, sizeOf } from '../../shape.js';

/** The shapes and eps of an addRmsNorm call checked (shared by the backends): rows of D. */
export function addRmsNormDims(
  x: TensorInfo,
  update: TensorInfo,
  weight: TensorInfo,
  attrs: { eps: number },
): { rows: number; d: number } {
  assertSameShape('addRmsNorm', ['x', 'update'], [x.shape, update.shape]);
  if (x.shape.length < 1) throw kernelError('addRmsNorm', `x must have rank >= 1, got ${fmt(x.shape)}`);
  const d = x.shape[x.shape.length - 1];
  if (weight.shape.length !== 1 || weight.shape[0] !== d)
    throw kernelError('addRmsNorm', `weight ${fmt(weight.shape)} must be [${d}] to match x ${fmt(x.shape)}`);
  if (typeof attrs.eps !== 'number' || !(attrs.eps >= 0))
    throw kernelError('addRmsNorm', `attrs.eps must be a non-negative number, got ${String(attrs.eps)}`);
  return { rows: d === 0 ? 0 : sizeOf(x.shape) / d, d };
}

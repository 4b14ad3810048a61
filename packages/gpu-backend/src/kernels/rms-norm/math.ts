import type { TensorInfo } from '../../backend.js';
import { fmt, kernelError, sizeOf } from '../../shape.js';

/**
 * The shapes and eps of an rmsNorm-family call checked (shared by the backends
 * and by addRmsNorm): x [..., D], weight [D]; returns the rows of D.
 */
export function rmsNormDims(
  kernel: string,
  x: TensorInfo,
  weight: TensorInfo,
  attrs: { eps: number },
): { rows: number; d: number } {
  if (x.shape.length < 1) throw kernelError(kernel, `x must have rank >= 1, got ${fmt(x.shape)}`);
  const d = x.shape[x.shape.length - 1];
  if (weight.shape.length !== 1 || weight.shape[0] !== d) {
    throw kernelError(kernel, `weight ${fmt(weight.shape)} must be [${d}] to match x ${fmt(x.shape)}`);
  }
  if (typeof attrs.eps !== 'number' || !(attrs.eps >= 0))
    throw kernelError(kernel, `attrs.eps must be a non-negative number, got ${String(attrs.eps)}`);
  return { rows: d === 0 ? 0 : sizeOf(x.shape) / d, d };
}

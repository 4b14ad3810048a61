import { implement } from '../../registry.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { assertSameShape, fmt, kernelError, sizeOf } from '../../shape.js';
import { rmsNormContiguousRows } from '../rms-norm/cpu.js';
import { addRmsNorm } from './contract.js';

/**
 * sum = x + update (rounded to float32 as the add kernel rounds it), then the
 * rmsNorm kernel's own row code on the sum: the same bits as add then rmsNorm.
 */
const addRmsNormKernel = implement(addRmsNorm, 'cpu', ({ inputs, attrs, backend }) => {
  const [xInfo, uInfo, wInfo] = inputs;
  assertSameShape('addRmsNorm', ['x', 'update'], [xInfo.shape, uInfo.shape]);
  if (xInfo.shape.length < 1) throw kernelError('addRmsNorm', `x must have rank >= 1, got ${fmt(xInfo.shape)}`);
  const d = xInfo.shape[xInfo.shape.length - 1];
  if (wInfo.shape.length !== 1 || wInfo.shape[0] !== d)
    throw kernelError('addRmsNorm', `weight ${fmt(wInfo.shape)} must be [${d}] to match x ${fmt(xInfo.shape)}`);
  if (typeof attrs.eps !== 'number' || !(attrs.eps >= 0))
    throw kernelError('addRmsNorm', `attrs.eps must be a non-negative number, got ${String(attrs.eps)}`);
  const x = floatInput(backend, xInfo, 'addRmsNorm');
  const u = floatInput(backend, uInfo, 'addRmsNorm');
  const w = floatInput(backend, wInfo, 'addRmsNorm');
  const sum = writtenFloatOutput(backend, xInfo.shape);
  const normed = writtenFloatOutput(backend, xInfo.shape);
  const n = sizeOf(xInfo.shape);
  const s = sum.data;
  for (let i = 0; i < n; i++) s[i] = x[i] + u[i];
  if (d > 0) rmsNormContiguousRows(s, w, normed.data, n / d, d, attrs.eps);
  return [sum.info, normed.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [addRmsNormKernel];

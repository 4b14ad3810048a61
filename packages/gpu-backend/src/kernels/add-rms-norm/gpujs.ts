import { implement } from '../../registry.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';
import { assertInputCount, assertSameShape, fmt, kernelError, sizeOf } from '../../shape.js';
import { rmsNormInto } from '../rms-norm/gpujs.js';
import { addRmsNorm } from './contract.js';

const ADD = elementwiseOp('add_rms_norm_sum', ['x', 'u'], 'x + u');

/** The sum, then the rmsNorm kernel's passes over it (gpu.js kernels have one output each). */
const addRmsNormKernel = implement(addRmsNorm, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('addRmsNorm', inputs, 3);
  const be = backend as GpujsBackend;
  const [x, update, weight] = inputs;
  assertSameShape('addRmsNorm', ['x', 'update'], [x.shape, update.shape]);
  if (x.shape.length < 1) throw kernelError('addRmsNorm', `x must have rank >= 1, got ${fmt(x.shape)}`);
  const d = x.shape[x.shape.length - 1];
  if (weight.shape.length !== 1 || weight.shape[0] !== d)
    throw kernelError('addRmsNorm', `weight ${fmt(weight.shape)} must be [${d}] to match x ${fmt(x.shape)}`);
  if (typeof attrs.eps !== 'number' || !(attrs.eps >= 0))
    throw kernelError('addRmsNorm', `attrs.eps must be a non-negative number, got ${String(attrs.eps)}`);
  const sum = runElementwise(be, 'addRmsNorm', ADD, [x, update]);
  const normed = be.output(x.shape);
  const rows = d === 0 ? 0 : sizeOf(x.shape) / d;
  if (rows > 0) rmsNormInto(be, sum, weight, normed, rows, d, attrs.eps);
  return [sum, normed];
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [addRmsNormKernel];

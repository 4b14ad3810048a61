import { implement } from '../../registry.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';
import { assertInputCount } from '../../shape.js';
import { rmsNormInto } from '../rms-norm/gpujs.js';
import { addRmsNorm } from './contract.js';
import { addRmsNormDims } from './math.js';

const ADD = elementwiseOp('add_rms_norm_sum', ['x', 'u'], 'x + u');

/** The sum, then the rmsNorm kernel's passes over it (gpu.js kernels have one output each). */
const addRmsNormKernel = implement(addRmsNorm, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('addRmsNorm', inputs, 3);
  const be = backend as GpujsBackend;
  const [x, update, weight] = inputs;
  const { rows, d } = addRmsNormDims(x, update, weight, attrs);
  const sum = runElementwise(be, 'addRmsNorm', ADD, [x, update]);
  const normed = be.output(x.shape);
  if (rows > 0) rmsNormInto(be, sum, weight, normed, rows, d, attrs.eps);
  return [sum, normed];
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [addRmsNormKernel];

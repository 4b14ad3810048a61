import { implement } from '../../registry.js';
import { fmt, kernelError, normalizeAxis } from '../../shape.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { reduceRun } from '../reduce/webgpu.js';
import { argmax } from './contract.js';

/** The reduction of reduce/webgpu.ts that keeps the first index of the maximum. */
const argmaxKernel = implement(argmax, 'webgpu', ({ inputs, attrs, backend }) => {
  const [x] = inputs;
  const axis = normalizeAxis('argmax', attrs.axis, x.shape.length);
  if (x.shape[axis] === 0 && x.shape.every((d, i) => i === axis || d > 0))
    throw kernelError('argmax', `axis ${attrs.axis} of ${fmt(x.shape)} is empty: no maximum to find`);
  return reduceRun(gpu(backend), 'argmax', x, [axis], false);
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [argmaxKernel];

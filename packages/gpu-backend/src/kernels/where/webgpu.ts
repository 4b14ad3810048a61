import { implement } from '../../registry.js';
import { elementwiseShader, runElementwise } from '../../webgpu/elementwise.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { where } from './contract.js';

/** cond ? a : b; cond is true where nonzero (NaN included). */
const WHERE = elementwiseShader('where', () => ({ expr: 'select(x2, x1, x0 != 0.0)' }));

const whereKernel = implement(where, 'webgpu', ({ inputs, backend }) =>
  runElementwise(gpu(backend), 'where', WHERE, {}, inputs),
);

/** The webgpu implementations of this folder's kernels. */
export const implementations = [whereKernel];

import { implement } from '../../registry.js';
import { where } from './contract.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';

/** cond ? a : b over three broadcast inputs; nonzero (and NaN) conditions are true. */
const WHERE = elementwiseOp('where', ['cond', 'x', 'y'], 'cond != 0.0 ? x : y');

const whereKernel = implement(where, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('where', inputs, 3);
  return runElementwise(backend as GpujsBackend, 'where', WHERE, inputs);
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [whereKernel];

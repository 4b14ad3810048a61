import { implement } from '../../registry.js';
import { siluGrad } from './contract.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';

/** dy * sigmoid(x) * (1 + x * (1 - sigmoid(x))), sigmoid in its non-overflowing form. */
const SILU_GRAD = elementwiseOp(
  'siluGrad',
  ['dy', 'x'],
  'dy * s * (1.0 + x * (1.0 - s))',
  [],
  'const s = x >= 0.0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));',
);

const siluGradKernel = implement(siluGrad, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('siluGrad', inputs, 2);
  return runElementwise(backend as GpujsBackend, 'siluGrad', SILU_GRAD, inputs);
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [siluGradKernel];

import { implement } from '../../registry.js';
import { swiglu, swigluGrad } from './contract.js';
import { assertInputCount, assertSameShape } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';

/** sigmoid(g) in the form that cannot overflow. */
const SIGMOID = 'const s = g >= 0.0 ? 1.0 / (1.0 + Math.exp(-g)) : Math.exp(g) / (1.0 + Math.exp(g));';

const SWIGLU = elementwiseOp('swiglu', ['g', 'up'], 'g * s * up', [], SIGMOID);
const SWIGLU_DGATE = elementwiseOp(
  'swiglu_dgate',
  ['dy', 'g', 'up'],
  'dy * up * s * (1.0 + g * (1.0 - s))',
  [],
  SIGMOID,
);
const SWIGLU_DUP = elementwiseOp('swiglu_dup', ['dy', 'g'], 'dy * g * s', [], SIGMOID);

const swigluKernel = implement(swiglu, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('swiglu', inputs, 2);
  assertSameShape('swiglu', ['gate', 'up'], [inputs[0].shape, inputs[1].shape]);
  return runElementwise(backend as GpujsBackend, 'swiglu', SWIGLU, inputs);
});

/** Two device passes (gpu.js kernels have one output each). */
const swigluGradKernel = implement(swigluGrad, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('swigluGrad', inputs, 3);
  const [dy, gate, up] = inputs;
  assertSameShape('swigluGrad', ['dy', 'gate', 'up'], [dy.shape, gate.shape, up.shape]);
  const be = backend as GpujsBackend;
  return [
    runElementwise(be, 'swigluGrad', SWIGLU_DGATE, [dy, gate, up]),
    runElementwise(be, 'swigluGrad', SWIGLU_DUP, [dy, gate]),
  ];
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [swigluKernel, swigluGradKernel];

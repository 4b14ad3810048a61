import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';
import { implement } from '../../registry.js';
import { assertSameShape } from '../../shape.js';
import { gelu, GELU_C, GELU_K, geluGrad } from './contract.js';

/**
 * t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3), and s = 1 - t^2 =
 * 4e / (1 + e)^2 with e = exp(-2|u|): exp only ever sees a non-positive
 * argument, and s has no cancellation. Past |u| = 15, t is +-1 and s below
 * 4e-13, so u is capped there (a cube that overflows gives +-1, not NaN) and
 * the gradient's second term dropped. NaN is tested with ordered comparisons,
 * which shader compilers keep (see unary/gpujs.ts).
 */
const TANH = `
const notNumber = (x > 0.0 || x <= 0.0) ? 0.0 : 1.0;
const geluU = ${GELU_C} * (x + ${GELU_K} * x * x * x);
const geluAbs = Math.abs(geluU);
const geluE = Math.exp(-2.0 * Math.min(geluAbs, 15.0));
const geluA = (1.0 - geluE) / (1.0 + geluE);
const t = geluU >= 0.0 ? geluA : -geluA;
const s = 4.0 * geluE / ((1.0 + geluE) * (1.0 + geluE));`;

const GELU = elementwiseOp('gelu', ['x'], 'notNumber > 0.5 ? x : 0.5 * x * (1.0 + t)', [], TANH);

const GELU_GRAD = elementwiseOp(
  'geluGrad',
  ['dy', 'x'],
  `notNumber > 0.5 ? x : dy * (0.5 * (1.0 + t) + (geluAbs >= 15.0 ? 0.0 : 0.5 * x * s * ${GELU_C} * (1.0 + ${3 * GELU_K} * x * x)))`,
  [],
  TANH,
);

const geluKernel = implement(gelu, 'gpujs', ({ inputs, backend }) =>
  runElementwise(backend as GpujsBackend, 'gelu', GELU, inputs),
);

const geluGradKernel = implement(geluGrad, 'gpujs', ({ inputs, backend }) => {
  assertSameShape('geluGrad', ['dy', 'x'], [inputs[0].shape, inputs[1].shape]);
  return runElementwise(backend as GpujsBackend, 'geluGrad', GELU_GRAD, inputs);
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [geluKernel, geluGradKernel];

import { implement } from '../../registry.js';
import { contracts, type UnaryOp } from './contract.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';

/**
 * Unary ops as gpu.js expressions over x. sigmoid, silu and tanh use forms
 * that cannot overflow: exp only ever sees a non-positive argument.
 *
 * NaN: shader compilers may assume no NaN (Vulkan's default float controls),
 * so `x != x` folds to false on lavapipe, and NVIDIA's compiler turns a
 * relu written as a select into fmax, which drops NaN. `notNumber` (declared
 * in the prelude) is a pair of ordered comparisons that no NaN satisfies,
 * which both compilers keep; relu selects on it explicitly.
 */
export const UNARY_EXPRESSIONS: Record<UnaryOp, string> = {
  neg: '-x',
  abs: 'Math.abs(x)',
  exp: 'Math.exp(x)',
  log: 'Math.log(x)',
  sqrt: 'Math.sqrt(x)',
  rsqrt: '1.0 / Math.sqrt(x)',
  square: 'x * x',
  reciprocal: '1.0 / x',
  silu: 'x >= 0.0 ? x / (1.0 + Math.exp(-x)) : x * Math.exp(x) / (1.0 + Math.exp(x))',
  sigmoid: 'x >= 0.0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x))',
  tanh: 'x >= 0.0 ? (1.0 - Math.exp(-2.0 * x)) / (1.0 + Math.exp(-2.0 * x)) : (Math.exp(2.0 * x) - 1.0) / (Math.exp(2.0 * x) + 1.0)',
  relu: 'notNumber > 0.5 ? x : (x > 0.0 ? x : 0.0)',
  isNaN: 'notNumber',
  isInf: 'x != x ? 0.0 : (Math.abs(x) > 3.4028234663852886e38 ? 1.0 : 0.0)',
};

const NOT_NUMBER = 'const notNumber = (x > 0.0 || x <= 0.0) ? 0.0 : 1.0;';
const NAN_PRELUDE: Partial<Record<UnaryOp, string>> = { relu: NOT_NUMBER, isNaN: NOT_NUMBER };

/** The gpujs implementations of this folder's kernels. */
export const implementations = contracts.map((contract) => {
  const name = contract.name;
  const op = elementwiseOp(name, ['x'], UNARY_EXPRESSIONS[name], [], NAN_PRELUDE[name] ?? '');
  return implement(contract, 'gpujs', ({ inputs, backend }) => {
    assertInputCount(name, inputs, 1);
    return runElementwise(backend as GpujsBackend, name, op, inputs);
  });
});

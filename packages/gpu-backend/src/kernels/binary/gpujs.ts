import { implement } from '../../registry.js';
import { contracts, type BinaryOp } from './contract.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { elementwiseOp, runElementwise } from '../../gpujs/elementwise.js';

/**
 * Binary ops as gpu.js expressions over x and y. pow follows JavaScript:
 * a negative base with an integral exponent is defined (WGSL's pow is not).
 */
export const BINARY_EXPRESSIONS: Record<BinaryOp, string> = {
  add: 'x + y',
  sub: 'x - y',
  mul: 'x * y',
  div: 'x / y',
  maximum: 'Math.max(x, y)',
  minimum: 'Math.min(x, y)',
  pow: '(x < 0.0 && Math.floor(y) == y) ? ((Math.floor(y * 0.5) * 2.0 == y) ? Math.pow(-x, y) : -Math.pow(-x, y)) : Math.pow(x, y)',
  equal: 'x == y ? 1.0 : 0.0',
  notEqual: 'x != y ? 1.0 : 0.0',
  greater: 'x > y ? 1.0 : 0.0',
  greaterEqual: 'x >= y ? 1.0 : 0.0',
  less: 'x < y ? 1.0 : 0.0',
  lessEqual: 'x <= y ? 1.0 : 0.0',
};

/** The gpujs implementations of this folder's kernels. */
export const implementations = contracts.map((contract) => {
  const name = contract.name;
  const op = elementwiseOp(name, ['x', 'y'], BINARY_EXPRESSIONS[name]);
  return implement(contract, 'gpujs', ({ inputs, backend }) => {
    assertInputCount(name, inputs, 2);
    return runElementwise(backend as GpujsBackend, name, op, inputs);
  });
});

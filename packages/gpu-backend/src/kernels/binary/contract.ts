import { defineKernel } from '../../contract/kernel-contract.js';

/** The binary elementwise kernels, in contract order. */
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'maximum',
  'minimum',
  'pow',
  'equal',
  'notEqual',
  'greater',
  'greaterEqual',
  'less',
  'lessEqual',
] as const;

export type BinaryOp = (typeof BINARY_OPS)[number];

const FORMULAS: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  maximum: 'max(a, b), NaN if either is NaN',
  minimum: 'min(a, b), NaN if either is NaN',
  pow: 'a ** b as JavaScript computes it (a negative base with an integral exponent is defined)',
  equal: 'a == b as 1 or 0',
  notEqual: 'a != b as 1 or 0',
  greater: 'a > b as 1 or 0',
  greaterEqual: 'a >= b as 1 or 0',
  less: 'a < b as 1 or 0',
  lessEqual: 'a <= b as 1 or 0',
};

function binary<const Name extends BinaryOp>(name: Name) {
  return defineKernel({
    name,
    doc: `${FORMULAS[name]}, elementwise with NumPy broadcasting`,
    inputs: [{ name: 'a' }, { name: 'b', doc: '(broadcastable with a)' }],
    attrs: {},
    outputs: [{ name: 'out', doc: 'float32 broadcast(a, b)' }],
  });
}

export const contracts = BINARY_OPS.map((op) => binary(op));

import { defineKernel } from '../../contract/kernel-contract.js';

/** The unary elementwise kernels, in contract order. */
export const UNARY_OPS = [
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'silu',
  'sigmoid',
  'tanh',
  'relu',
  'isNaN',
  'isInf',
] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];

const FORMULAS: Record<UnaryOp, string> = {
  neg: '-x',
  abs: '|x|',
  exp: 'e^x',
  log: 'ln x',
  sqrt: 'sqrt(x)',
  rsqrt: '1 / sqrt(x)',
  square: 'x^2',
  reciprocal: '1 / x',
  silu: 'x * sigmoid(x)',
  sigmoid: '1 / (1 + e^-x)',
  tanh: 'tanh(x)',
  relu: 'max(x, 0), NaN kept',
  isNaN: '1 where x is NaN, else 0',
  isInf: '1 where x is +-Infinity, else 0',
};

function unary<const Name extends UnaryOp>(name: Name) {
  return defineKernel({
    name,
    doc: `${FORMULAS[name]}, elementwise`,
    inputs: [{ name: 'x' }],
    attrs: {},
    outputs: [{ name: 'out', doc: 'float32, the shape of x' }],
  });
}

export const contracts = UNARY_OPS.map((op) => unary(op));

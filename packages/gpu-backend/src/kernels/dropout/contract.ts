import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const dropout = defineKernel({
  name: 'dropout',
  doc: "inverted dropout in one pass: out = (x * (u >= p)) * (1 / (1 - p)), u the randomUniform stream of x's shape at seed, p and the scale rounded to float32 first: the bits of randomUniform, scalarOp greaterEqual, mul and scalarOp mul (a gradient is the same call on dy)",
  inputs: [{ name: 'x', doc: 'float32' }],
  attrs: {
    p: attr.described(attr.number, 'in [0, 1)'),
    seed: attr.described(attr.integer, 'in [0, 2^53)'),
  },
  outputs: [{ name: 'out', doc: 'float32, the shape of x' }],
});

export const contracts = [dropout] as const;

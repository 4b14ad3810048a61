import { defineKernel } from '../../contract/kernel-contract.js';

export const siluGrad = defineKernel({
  name: 'siluGrad',
  doc: 'dy * d/dx silu(x) = dy * s * (1 + x * (1 - s)), s = sigmoid(x)',
  inputs: [{ name: 'dy' }, { name: 'x', doc: '(the shape of dy)' }],
  attrs: {},
  outputs: [{ name: 'dx' }],
});

export const contracts = [siluGrad] as const;

import { defineKernel } from '../../contract/kernel-contract.js';

/** sqrt(2 / pi), the constant of the tanh form. */
export const GELU_C = Math.sqrt(2 / Math.PI);
export const GELU_K = 0.044715;

export const gelu = defineKernel({
  name: 'gelu',
  doc: "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise: GELU's tanh form (torch.nn.functional.gelu(x, approximate='tanh'), GPT-2's activation)",
  inputs: [{ name: 'x' }],
  attrs: {},
  outputs: [{ name: 'y', doc: 'float32, the shape of x' }],
});

export const geluGrad = defineKernel({
  name: 'geluGrad',
  doc: 'dy * d/dx gelu(x) = dy (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)), t the tanh of gelu',
  inputs: [{ name: 'dy' }, { name: 'x', doc: '(the shape of dy)' }],
  attrs: {},
  outputs: [{ name: 'dx' }],
});

export const contracts = [gelu, geluGrad] as const;

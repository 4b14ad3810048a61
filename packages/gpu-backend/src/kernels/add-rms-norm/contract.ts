import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const addRmsNorm = defineKernel({
  name: 'addRmsNorm',
  doc: "a residual connection and the norm after it in one pass: sum = x + update, normed = rmsNorm(sum, weight); equals add then rmsNorm (a decoder block's attention output joining the residual stream before the MLP's norm)",
  inputs: [
    { name: 'x', doc: '[..., D]' },
    { name: 'update', doc: '[..., D] (the shape of x)' },
    { name: 'weight', doc: '[D], float32 or bfloat16/float16 (read as stored)' },
  ],
  attrs: { eps: attr.number },
  outputs: [
    { name: 'sum', doc: 'float32 [..., D]' },
    { name: 'normed', doc: 'float32 [..., D]' },
  ],
});

export const contracts = [addRmsNorm] as const;

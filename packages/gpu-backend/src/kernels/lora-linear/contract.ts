import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const loraLinear = defineKernel({
  name: 'loraLinear',
  doc: "a linear layer with an unmerged LoRA adapter: out = x weight^T + scaling (x loraA^T) loraB^T; equals matmul(x, weight, transposeB) plus scaling times the adapter's two products (decoding through an adapted layer without the launches of the separate products, scale and add)",
  inputs: [
    { name: 'x', doc: 'float32 [M, K]' },
    { name: 'weight', doc: '[N, K], float32 or bfloat16/float16 (read as stored)' },
    { name: 'loraA', doc: 'float32 [R, K]' },
    { name: 'loraB', doc: 'float32 [N, R]' },
  ],
  attrs: { scaling: attr.number },
  outputs: [{ name: 'out', doc: 'float32 [M, N]' }],
});

export const contracts = [loraLinear] as const;

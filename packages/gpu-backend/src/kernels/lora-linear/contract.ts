import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const loraLinear = defineKernel({
  name: 'loraLinear',
  doc: "a linear layer with an unmerged LoRA adapter: out = x weight^T + scaling (x' loraA^T) loraB^T; equals matmul(x, weight, transposeB) plus scaling times the adapter's two products (decoding through an adapted layer without the launches of the separate products, scale and add; training without keeping them). x' is x, or with dropout p > 0 the adapter's input dropped as the dropout kernel drops it at seed (the mask the composition randomUniform >= p draws), made and freed inside the kernel",
  inputs: [
    { name: 'x', doc: 'float32 [M, K]' },
    { name: 'weight', doc: '[N, K], float32 or bfloat16/float16 (read as stored)' },
    { name: 'loraA', doc: 'float32 [R, K]' },
    { name: 'loraB', doc: 'float32 [N, R]' },
  ],
  attrs: {
    scaling: attr.number,
    dropout: attr.optional(attr.described(attr.number, 'in [0, 1)')),
    seed: attr.optional(attr.described(attr.integer, 'in [0, 2^53); needed with dropout > 0')),
  },
  outputs: [{ name: 'out', doc: 'float32 [M, N]' }],
});

export const contracts = [loraLinear] as const;

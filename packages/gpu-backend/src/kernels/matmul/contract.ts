import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const matmul = defineKernel({
  name: 'matmul',
  doc: 'batched matrix product over broadcast batch dims',
  inputs: [
    { name: 'a', doc: '[..., M, K] (or [..., K, M] if transposeA)' },
    { name: 'b', doc: '[..., K, N] (or [..., N, K] if transposeB)' },
  ],
  attrs: { transposeA: attr.optional(attr.boolean), transposeB: attr.optional(attr.boolean) },
  outputs: [{ name: 'out', doc: '[...broadcast(batchA, batchB), M, N]' }],
});

export const contracts = [matmul] as const;

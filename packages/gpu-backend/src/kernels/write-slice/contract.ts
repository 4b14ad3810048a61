import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const writeSlice = defineKernel({
  name: 'writeSlice',
  doc: "target[begin : begin + update's shape] = update, in place (a KV cache taking a step's keys and values)",
  inputs: [{ name: 'target' }, { name: 'update', doc: '(the dtype and rank of target, fitting inside it at begin)' }],
  attrs: { begin: attr.described(attr.integers, 'one entry per axis of target') },
  outputs: [],
  inPlace: [0],
});

export const contracts = [writeSlice] as const;

import { defineKernel } from '../../contract/kernel-contract.js';

export const copy = defineKernel({
  name: 'copy',
  doc: 'a new storage with the same contents and dtype',
  inputs: [{ name: 'x' }],
  attrs: {},
  outputs: [{ name: 'out' }],
});

export const contracts = [copy] as const;

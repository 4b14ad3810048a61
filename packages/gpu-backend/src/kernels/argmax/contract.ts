import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const argmax = defineKernel({
  name: 'argmax',
  doc: 'index of the first maximum along axis; a NaN counts as the maximum',
  inputs: [{ name: 'x' }],
  attrs: { axis: attr.integer },
  outputs: [{ name: 'index', doc: 'int32, x without axis' }],
});

export const contracts = [argmax] as const;

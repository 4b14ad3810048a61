import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const fill = defineKernel({
  name: 'fill',
  doc: 'a tensor of shape filled with value (converted to dtype as cast would)',
  inputs: [],
  attrs: { shape: attr.integers, value: attr.number, dtype: attr.optional(attr.dtype, 'default float32') },
  outputs: [{ name: 'out' }],
});

export const contracts = [fill] as const;

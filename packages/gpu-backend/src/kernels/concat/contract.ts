import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const concat = defineKernel({
  name: 'concat',
  doc: 'the parts joined along axis; they share rank, dtype and every other dim',
  inputs: [{ name: 'x', variadic: true, doc: '(one or more)' }],
  attrs: { axis: attr.integer },
  outputs: [{ name: 'out' }],
});

export const contracts = [concat] as const;

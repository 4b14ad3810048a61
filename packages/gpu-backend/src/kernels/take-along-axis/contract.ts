import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const takeAlongAxis = defineKernel({
  name: 'takeAlongAxis',
  doc: 'x[..., indices[...]] over the last axis (the per-row target pick of a loss)',
  inputs: [
    { name: 'x', doc: '[..., V]' },
    { name: 'indices', dtype: 'int32', doc: '[...]' },
  ],
  attrs: {},
  outputs: [{ name: 'out', doc: "[...], x's dtype" }],
});

export const putAlongAxis = defineKernel({
  name: 'putAlongAxis',
  doc: 'zeros with updates placed at indices along a new last axis (the gradient of takeAlongAxis)',
  inputs: [
    { name: 'updates', doc: '[...]' },
    { name: 'indices', dtype: 'int32', doc: '[...]' },
  ],
  attrs: { size: attr.integer },
  outputs: [{ name: 'out', doc: '[..., size]' }],
});

export const contracts = [takeAlongAxis, putAlongAxis] as const;

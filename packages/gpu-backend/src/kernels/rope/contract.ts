import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const rope = defineKernel({
  name: 'rope',
  doc: 'rotate-half rotary embedding, Hugging Face convention: pairs (i, i + D/2), inv_freq_i = theta^(-2i/D); inverse rotates by -angle (the gradient)',
  inputs: [
    { name: 'x', doc: '[B, H, T, D] (D even)' },
    { name: 'positions', dtype: 'int32', doc: '[B, T]' },
  ],
  attrs: { theta: attr.number, inverse: attr.optional(attr.boolean) },
  outputs: [{ name: 'y', doc: '[B, H, T, D]' }],
});

export const contracts = [rope] as const;

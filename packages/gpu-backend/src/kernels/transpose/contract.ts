import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const transpose = defineKernel({
  name: 'transpose',
  doc: 'x with its axes permuted (output axis i is input axis perm[i]), a contiguous copy; any dtype',
  inputs: [{ name: 'x' }],
  attrs: { perm: attr.integers },
  outputs: [{ name: 'out' }],
});

export const contracts = [transpose] as const;

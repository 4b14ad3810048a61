import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const selectTopK = defineKernel({
  name: 'selectTopK',
  doc: "each row's entries at or above its k-th largest value along the last axis, ties with it included, in ascending index order (-0 equals +0); a row holding a NaN has no order and reports count -1",
  inputs: [{ name: 'x', dtype: 'float32', doc: '[..., N], 1 <= k <= N' }],
  attrs: {
    k: attr.described(attr.integer, 'the rank of the threshold value, 1 <= k <= N'),
    capacity: attr.described(attr.integer, 'entries kept per row, >= 1'),
  },
  outputs: [
    { name: 'index', doc: 'int32 [..., capacity]: the first min(count, capacity) entries, -1 after them' },
    { name: 'value', doc: 'float32 [..., capacity]: their values, 0 after them' },
    {
      name: 'count',
      doc: 'int32 [...]: how many entries qualify (more than capacity when ties run past it; -1 for a row with a NaN)',
    },
  ],
});

export const contracts = [selectTopK] as const;

import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const gatherRows = defineKernel({
  name: 'gatherRows',
  doc: 'table rows at indices (embedding lookup); an index out of range is an error',
  inputs: [
    { name: 'table', doc: '[R, C]' },
    { name: 'indices', dtype: 'int32', doc: '[...N]' },
  ],
  attrs: {},
  outputs: [{ name: 'rows', doc: "[...N, C], the table's dtype" }],
});

export const scatterAddRows = defineKernel({
  name: 'scatterAddRows',
  doc: 'zeros with updates added at their rows (the embedding gradient)',
  inputs: [
    { name: 'updates', doc: '[...N, C]' },
    { name: 'indices', dtype: 'int32', doc: '[...N]' },
  ],
  attrs: { numRows: attr.integer },
  outputs: [{ name: 'out', doc: '[numRows, C]' }],
});

export const contracts = [gatherRows, scatterAddRows] as const;

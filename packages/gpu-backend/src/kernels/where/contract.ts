import { defineKernel } from '../../contract/kernel-contract.js';

export const where = defineKernel({
  name: 'where',
  doc: 'cond ? a : b with NumPy broadcasting; cond is true where nonzero (NaN included)',
  inputs: [{ name: 'cond' }, { name: 'a' }, { name: 'b' }],
  attrs: {},
  outputs: [{ name: 'out', doc: 'float32 broadcast(cond, a, b)' }],
});

export const contracts = [where] as const;

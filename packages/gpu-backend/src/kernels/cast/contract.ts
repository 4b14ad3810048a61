import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const cast = defineKernel({
  name: 'cast',
  doc: 'x converted: float32 <-> float16/bfloat16 round to nearest even; float to int32 truncates toward zero (saturating, NaN -> 0)',
  inputs: [{ name: 'x' }],
  attrs: { dtype: attr.dtype },
  outputs: [{ name: 'out', doc: 'dtype' }],
});

export const contracts = [cast] as const;

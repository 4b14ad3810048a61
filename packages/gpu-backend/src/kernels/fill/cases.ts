import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { fill } from './contract.js';

export const conformance = [
  conformanceOf(fill, {
    tolerance: EXACT,
    cases: [
      { name: 'float32 [3, 4]', inputs: [], attrs: { shape: [3, 4], value: 1.5 } },
      { name: 'int32', inputs: [], attrs: { shape: [5], value: -7, dtype: 'int32' } },
      { name: 'bfloat16 rounds the value', inputs: [], attrs: { shape: [2], value: 0.1, dtype: 'bfloat16' } },
      { name: '-Infinity (a mask)', inputs: [], attrs: { shape: [3], value: -Infinity } },
      { name: 'rank 0', inputs: [], attrs: { shape: [], value: 3 } },
      { name: 'size-0', inputs: [], attrs: { shape: [0, 3], value: 1 } },
    ],
  }),
];

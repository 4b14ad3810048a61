import { floats, indices } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { transpose } from './contract.js';

export const conformance = [
  conformanceOf(transpose, {
    tolerance: EXACT,
    cases: [
      { name: '[2, 3, 4] by [2, 0, 1]', inputs: [floats([2, 3, 4])], attrs: { perm: [2, 0, 1] } },
      { name: 'matrix [5, 7]', inputs: [floats([5, 7])], attrs: { perm: [1, 0] } },
      { name: 'heads [2, 3, 4, 5] by [0, 2, 1, 3]', inputs: [floats([2, 3, 4, 5])], attrs: { perm: [0, 2, 1, 3] } },
      { name: 'int32 values', inputs: [indices([3, 4], 100)], attrs: { perm: [1, 0] } },
      { name: 'size-1 dims', inputs: [floats([1, 1, 1])], attrs: { perm: [2, 1, 0] } },
      { name: 'size-0', inputs: [floats([0, 3])], attrs: { perm: [1, 0] } },
      { name: 'rank 1', inputs: [floats([3])], attrs: { perm: [0] } },
    ],
  }),
];

import { floats } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { where } from './contract.js';

const mask = (shape: number[]) => floats(shape, { ints: [0, 2] });

export const conformance = [
  conformanceOf(where, {
    tolerance: EXACT,
    cases: [
      { name: 'same shapes [5, 6]', inputs: [mask([5, 6]), floats([5, 6]), floats([5, 6])] },
      { name: 'broadcast [2, 3, 4], [3, 1], rank-0', inputs: [mask([2, 3, 4]), floats([3, 1]), floats([])] },
      { name: 'mask [1, 4] over [3, 4] (masking)', inputs: [mask([1, 4]), floats([3, 4]), floats([3, 4])] },
      { name: 'size-0', inputs: [mask([0, 3]), floats([3]), floats([1])] },
    ],
  }),
];

import { floats, indices } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { putAlongAxis, takeAlongAxis } from './contract.js';

export const conformance = [
  conformanceOf(takeAlongAxis, {
    tolerance: EXACT,
    cases: [
      { name: 'targets of [4, 1000] logits', inputs: [floats([4, 1000]), indices([4], 1000)] },
      { name: 'rank 3 [2, 3, 5]', inputs: [floats([2, 3, 5]), indices([2, 3], 5)] },
      { name: 'rank 1 to a scalar', inputs: [floats([7]), indices([], 7)] },
      { name: 'size-0 rows', inputs: [floats([0, 5]), indices([0], 5)] },
    ],
  }),
  conformanceOf(putAlongAxis, {
    tolerance: EXACT,
    cases: [
      { name: 'into [4, 1000]', inputs: [floats([4]), indices([4], 1000)], attrs: { size: 1000 } },
      { name: 'rank 2 updates into [2, 3, 5]', inputs: [floats([2, 3]), indices([2, 3], 5)], attrs: { size: 5 } },
      { name: 'scalar into [7]', inputs: [floats([]), indices([], 7)], attrs: { size: 7 } },
      { name: 'size-0 rows', inputs: [floats([0]), indices([0], 3)], attrs: { size: 3 } },
    ],
  }),
];

import { floats, indices } from '../../conformance/inputs.js';
import { ARITHMETIC, EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { gatherRows, scatterAddRows } from './contract.js';

export const conformance = [
  conformanceOf(gatherRows, {
    tolerance: EXACT,
    cases: [
      { name: 'table [50, 8], indices [3, 7]', inputs: [floats([50, 8]), indices([3, 7], 50)] },
      { name: 'bfloat16 table keeps its dtype', inputs: [floats([10, 4], undefined, 'bfloat16'), indices([6], 10)] },
      { name: 'size-1 table', inputs: [floats([1, 1]), indices([1], 1)] },
      { name: 'no indices', inputs: [floats([5, 3]), indices([0], 5)] },
      { name: 'zero-width rows', inputs: [floats([5, 0]), indices([4], 5)] },
    ],
  }),
  conformanceOf(scatterAddRows, {
    tolerance: ARITHMETIC,
    cases: [
      {
        name: 'repeated indices accumulate',
        inputs: [floats([3, 7, 8]), indices([3, 7], 10)],
        attrs: { numRows: 10 },
      },
      { name: 'size-1', inputs: [floats([1, 1]), indices([1], 1)], attrs: { numRows: 1 } },
      { name: 'no updates', inputs: [floats([0, 4]), indices([0], 3)], attrs: { numRows: 3 } },
      { name: 'zero rows, zero updates', inputs: [floats([0, 4]), indices([0], 1)], attrs: { numRows: 0 } },
    ],
  }),
];

import { floats, indices } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { slice, sliceGrad } from './contract.js';

export const conformance = [
  conformanceOf(slice, {
    tolerance: EXACT,
    cases: [
      { name: '[5, 7] from [1, 2], size [3, -1]', inputs: [floats([5, 7])], attrs: { begin: [1, 2], size: [3, -1] } },
      { name: 'rank 3', inputs: [floats([2, 3, 4])], attrs: { begin: [0, 1, 0], size: [2, 1, 4] } },
      { name: 'int32 values', inputs: [indices([4, 4], 100)], attrs: { begin: [1, 1], size: [2, 2] } },
      { name: 'size-0 result', inputs: [floats([4])], attrs: { begin: [2], size: [0] } },
      { name: 'size-0 input', inputs: [floats([0, 3])], attrs: { begin: [0, 1], size: [-1, 2] } },
    ],
    errors: [{ name: 'a slice past the end', inputs: [floats([4])], attrs: { begin: [2], size: [3] } }],
  }),
  conformanceOf(sliceGrad, {
    tolerance: EXACT,
    cases: [
      {
        name: '[3, 5] into [5, 7] at [1, 2]',
        inputs: [floats([3, 5])],
        attrs: { begin: [1, 2], inputShape: [5, 7] },
      },
      { name: 'rank 3', inputs: [floats([2, 1, 4])], attrs: { begin: [0, 2, 0], inputShape: [2, 3, 4] } },
      { name: 'size-0 dy', inputs: [floats([0, 2])], attrs: { begin: [1, 0], inputShape: [3, 2] } },
    ],
  }),
];

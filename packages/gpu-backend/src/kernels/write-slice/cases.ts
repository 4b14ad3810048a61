import { floats, indices } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { writeSlice } from './contract.js';

export const conformance = [
  conformanceOf(writeSlice, {
    tolerance: EXACT,
    cases: [
      {
        name: "a KV cache [2, 3, 8, 5] taking one step's [2, 3, 1, 5] at position 4",
        inputs: [floats([2, 3, 8, 5]), floats([2, 3, 1, 5])],
        attrs: { begin: [0, 0, 4, 0] },
      },
      {
        name: 'a prefill [1, 2, 16, 4] taking [1, 2, 7, 4] at 0',
        inputs: [floats([1, 2, 16, 4]), floats([1, 2, 7, 4])],
        attrs: { begin: [0, 0, 0, 0] },
      },
      {
        name: 'the last positions [2, 1, 9, 3] taking [2, 1, 2, 3] at 7',
        inputs: [floats([2, 1, 9, 3]), floats([2, 1, 2, 3])],
        attrs: { begin: [0, 0, 7, 0] },
      },
      {
        name: 'a block inside every axis: [5, 7, 6] taking [2, 3, 4] at [1, 2, 1]',
        inputs: [floats([5, 7, 6]), floats([2, 3, 4])],
        attrs: { begin: [1, 2, 1] },
      },
      { name: 'the whole target: [257] taking [257]', inputs: [floats([257]), floats([257])], attrs: { begin: [0] } },
      {
        name: 'int32 values: [4, 6] taking [4, 1] at column 5',
        inputs: [indices([4, 6], 1000), indices([4, 1], 1000)],
        attrs: { begin: [0, 5] },
      },
      {
        name: 'size-0 update changes nothing: [3, 4] taking [3, 0] at column 4',
        inputs: [floats([3, 4]), floats([3, 0])],
        attrs: { begin: [0, 4] },
      },
      { name: 'size-0 target', inputs: [floats([0, 4]), floats([0, 2])], attrs: { begin: [0, 1] } },
    ],
    errors: [
      {
        name: 'an update past the end',
        inputs: [floats([2, 3, 8, 5]), floats([2, 3, 2, 5])],
        attrs: { begin: [0, 0, 7, 0] },
      },
      { name: 'a rank that differs', inputs: [floats([4, 6]), floats([6])], attrs: { begin: [0, 0] } },
      { name: 'a dtype that differs', inputs: [floats([4]), indices([2], 5)], attrs: { begin: [1] } },
    ],
  }),
];

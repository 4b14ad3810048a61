import { floats } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { argmax } from './contract.js';

export const conformance = [
  conformanceOf(argmax, {
    tolerance: EXACT,
    cases: [
      { name: 'last axis of [5, 7]', inputs: [floats([5, 7])], attrs: { axis: 1 } },
      { name: 'first axis of [5, 7]', inputs: [floats([5, 7])], attrs: { axis: 0 } },
      { name: 'ties: the first maximum wins', inputs: [floats([4, 50], { ints: [0, 3] })], attrs: { axis: -1 } },
      { name: '100k elements', inputs: [floats([100_000])], attrs: { axis: 0 } },
      { name: 'size-1 axis', inputs: [floats([3, 1])], attrs: { axis: 1 } },
      { name: 'size-0 kept dim', inputs: [floats([0, 5])], attrs: { axis: 1 } },
    ],
  }),
];

import { floats, indices } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { copy } from './contract.js';

export const conformance = [
  conformanceOf(copy, {
    tolerance: EXACT,
    cases: [
      { name: 'float32 [3, 4]', inputs: [floats([3, 4])] },
      { name: 'int32', inputs: [indices([5], 100)] },
      { name: 'bfloat16', inputs: [floats([5], undefined, 'bfloat16')] },
      { name: 'size-0', inputs: [floats([0, 2])] },
    ],
  }),
];

import { floats, indices } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { concat } from './contract.js';

export const conformance = [
  conformanceOf(concat, {
    tolerance: EXACT,
    cases: [
      {
        name: 'axis 1 with a size-0 part',
        inputs: [floats([2, 2]), floats([2, 0]), floats([2, 3])],
        attrs: { axis: 1 },
      },
      { name: 'axis 0', inputs: [floats([1, 3]), floats([4, 3])], attrs: { axis: 0 } },
      {
        name: 'axis -2 of rank 3 (a KV cache append)',
        inputs: [floats([2, 3, 4]), floats([2, 1, 4])],
        attrs: { axis: -2 },
      },
      { name: 'a single input', inputs: [floats([3, 3])], attrs: { axis: 0 } },
      { name: 'int32 values', inputs: [indices([2], 9), indices([3], 9)], attrs: { axis: 0 } },
    ],
    errors: [
      { name: 'parts that differ outside the axis', inputs: [floats([2, 2]), floats([3, 3])], attrs: { axis: 0 } },
    ],
  }),
];

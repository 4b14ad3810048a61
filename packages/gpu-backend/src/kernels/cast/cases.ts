import { floats, indices, uniform } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { cast } from './contract.js';

export const conformance = [
  conformanceOf(cast, {
    tolerance: EXACT,
    cases: [
      {
        name: 'float32 to float16 (edge values)',
        inputs: [floats([9], { values: [1, 0.1, 65504, 65520, 2 ** -24, 2 ** -25, -0, NaN, -1e9] })],
        attrs: { dtype: 'float16' },
      },
      { name: 'float32 to bfloat16', inputs: [floats([100], uniform(-1e4, 1e4))], attrs: { dtype: 'bfloat16' } },
      {
        name: 'float32 to int32 truncates toward zero',
        inputs: [floats([50], uniform(-100, 100))],
        attrs: { dtype: 'int32' },
      },
      { name: 'int32 to float32', inputs: [indices([50], 1000, -1000)], attrs: { dtype: 'float32' } },
      {
        name: 'float16 to float32',
        inputs: [floats([40], uniform(-10, 10), 'float16')],
        attrs: { dtype: 'float32' },
      },
      {
        name: 'bfloat16 to float16',
        inputs: [floats([40], uniform(-10, 10), 'bfloat16')],
        attrs: { dtype: 'float16' },
      },
      { name: 'size-0', inputs: [floats([0])], attrs: { dtype: 'bfloat16' } },
    ],
  }),
];

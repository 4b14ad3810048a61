import { floats, uniform } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { NORM_CASES, normCase } from '../rms-norm/cases.js';
import { addRmsNorm } from './contract.js';

export const conformance = [
  conformanceOf(addRmsNorm, {
    tolerance: ACCUMULATE,
    cases: NORM_CASES.map((c) => {
      const { name, x, weight } = normCase(c);
      return { name, inputs: [x, floats(c.shape, uniform(-2, 2)), weight], attrs: { eps: 1e-6 } };
    }),
    errors: [
      {
        name: 'an update of another shape',
        inputs: [floats([2, 4]), floats([2, 3]), floats([4])],
        attrs: { eps: 1e-6 },
      },
      {
        name: 'a weight of the wrong length',
        inputs: [floats([2, 4]), floats([2, 4]), floats([3])],
        attrs: { eps: 1e-6 },
      },
    ],
  }),
];

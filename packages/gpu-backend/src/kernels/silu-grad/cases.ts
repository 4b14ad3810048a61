import { floats, uniform } from '../../conformance/inputs.js';
import { TRANSCENDENTAL } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { siluGrad } from './contract.js';

export const conformance = [
  conformanceOf(siluGrad, {
    tolerance: TRANSCENDENTAL,
    cases: [[257], [3, 4], [0]].map((shape) => ({
      name: `[${shape.join(', ')}]`,
      inputs: [floats(shape), floats(shape, uniform(-8, 8))],
    })),
  }),
];

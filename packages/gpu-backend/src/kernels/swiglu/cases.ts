import { floats, uniform } from '../../conformance/inputs.js';
import { TRANSCENDENTAL } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { swiglu, swigluGrad } from './contract.js';

const SHAPES = [[257], [3, 4], [2, 3, 129], [1], [0]];
const name = (shape: number[]) => `[${shape.join(', ')}]`;
/** Gates reach the saturated tails of the sigmoid (and past where e^-x overflows float32). */
const gate = (shape: number[]) => floats(shape, uniform(-100, 100));

export const conformance = [
  conformanceOf(swiglu, {
    tolerance: TRANSCENDENTAL,
    cases: [
      ...SHAPES.map((shape) => ({ name: name(shape), inputs: [floats(shape, uniform(-8, 8)), floats(shape)] })),
      { name: 'saturated gates [1001]', inputs: [gate([1001]), floats([1001])] },
    ],
    errors: [{ name: 'up of another shape', inputs: [floats([2, 3]), floats([3, 2])] }],
  }),
  conformanceOf(swigluGrad, {
    tolerance: TRANSCENDENTAL,
    cases: [
      ...SHAPES.map((shape) => ({
        name: name(shape),
        inputs: [floats(shape), floats(shape, uniform(-8, 8)), floats(shape)],
      })),
      { name: 'saturated gates [1001]', inputs: [floats([1001]), gate([1001]), floats([1001])] },
    ],
    errors: [
      { name: 'gate of another shape', inputs: [floats([4]), floats([5]), floats([4])] },
      { name: 'up of another shape', inputs: [floats([4]), floats([4]), floats([2, 2])] },
    ],
  }),
];

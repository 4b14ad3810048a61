import { floats, uniform } from '../../conformance/inputs.js';
import { TRANSCENDENTAL } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { gelu, geluGrad } from './contract.js';

/** Values where the tanh saturates or the cube is large, zeros and a NaN. */
const EDGES = { values: [0, -0, 1e-8, -1e-8, 3, -3, 10, -10, 1e4, -1e4, NaN] };
const SHAPES = [[0], [1], [257], [3, 5, 7]];
const name = (shape: number[]) => `[${shape.join(', ')}]`;

export const conformance = [
  conformanceOf(gelu, {
    tolerance: TRANSCENDENTAL,
    cases: [
      ...SHAPES.map((shape) => ({ name: name(shape), inputs: [floats(shape, uniform(-6, 6))] })),
      { name: 'edge values', inputs: [floats([11], EDGES)] },
    ],
  }),
  conformanceOf(geluGrad, {
    tolerance: TRANSCENDENTAL,
    cases: [
      ...SHAPES.map((shape) => ({ name: name(shape), inputs: [floats(shape), floats(shape, uniform(-6, 6))] })),
      { name: 'edge values', inputs: [floats([11]), floats([11], EDGES)] },
    ],
    errors: [{ name: 'dy and x of different shapes', inputs: [floats([3]), floats([4])] }],
  }),
];

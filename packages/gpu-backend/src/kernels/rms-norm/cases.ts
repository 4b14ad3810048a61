import { floats, uniform } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { rmsNorm, rmsNormGrad } from './contract.js';

const SHAPES: number[][] = [
  [4, 16],
  [2, 3, 64],
  [1, 1],
  [0, 8],
  [3, 1000],
];

const name = (shape: number[]) => `[${shape.join(', ')}]`;
const weight = (shape: number[]) => floats([shape[shape.length - 1]], uniform(0.5, 1.5));

export const conformance = [
  conformanceOf(rmsNorm, {
    tolerance: ACCUMULATE,
    cases: SHAPES.map((shape) => ({
      name: name(shape),
      inputs: [floats(shape, uniform(-3, 3)), weight(shape)],
      attrs: { eps: 1e-6 },
    })),
    errors: [{ name: 'a weight of the wrong length', inputs: [floats([2, 4]), floats([3])], attrs: { eps: 1e-6 } }],
  }),
  conformanceOf(rmsNormGrad, {
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    cases: SHAPES.map((shape) => ({
      name: name(shape),
      inputs: [floats(shape), floats(shape, uniform(-3, 3)), weight(shape)],
      attrs: { eps: 1e-6 },
    })),
  }),
];

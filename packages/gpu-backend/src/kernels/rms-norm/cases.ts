import { floats, uniform } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import type { DType } from '../../dtype.js';
import { rmsNorm, rmsNormGrad } from './contract.js';

const SHAPES: number[][] = [
  [4, 16],
  [2, 3, 64],
  [1, 1],
  [0, 8],
  [3, 1000],
  // rows not a whole number of vectors, and more rows than one block of the cpu's SIMD path
  [230, 37],
];

const name = (shape: number[]) => `[${shape.join(', ')}]`;
const weight = (shape: number[], dtype?: DType) => floats([shape[shape.length - 1]], uniform(0.5, 1.5), dtype);
/** A norm's scale kept in half precision (a bfloat16/float16 checkpoint), read as stored. */
const HALF: [number[], DType][] = [
  [[3, 64], 'bfloat16'],
  [[2, 37], 'float16'],
];

export const conformance = [
  conformanceOf(rmsNorm, {
    tolerance: ACCUMULATE,
    cases: [
      ...SHAPES.map((shape) => ({
        name: name(shape),
        inputs: [floats(shape, uniform(-3, 3)), weight(shape)],
        attrs: { eps: 1e-6 },
      })),
      ...HALF.map(([shape, dtype]) => ({
        name: `${name(shape)}, ${dtype} weight`,
        inputs: [floats(shape, uniform(-3, 3)), weight(shape, dtype)],
        attrs: { eps: 1e-6 },
      })),
    ],
    errors: [{ name: 'a weight of the wrong length', inputs: [floats([2, 4]), floats([3])], attrs: { eps: 1e-6 } }],
  }),
  conformanceOf(rmsNormGrad, {
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    cases: [
      ...SHAPES.map((shape) => ({
        name: name(shape),
        inputs: [floats(shape), floats(shape, uniform(-3, 3)), weight(shape)],
        attrs: { eps: 1e-6 },
      })),
      ...HALF.map(([shape, dtype]) => ({
        name: `${name(shape)}, ${dtype} weight`,
        inputs: [floats(shape), floats(shape, uniform(-3, 3)), weight(shape, dtype)],
        attrs: { eps: 1e-6 },
      })),
    ],
  }),
];

import { floats, uniform } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import type { DType } from '../../dtype.js';
import { rmsNorm, rmsNormGrad } from './contract.js';

/**
 * The rmsNorm family's cases (addRmsNorm's too): rows of several widths, and a
 * norm's scale kept in half precision (a bfloat16/float16 checkpoint), read as stored.
 */
export const NORM_CASES: { shape: number[]; weight?: DType }[] = [
  { shape: [4, 16] },
  { shape: [2, 3, 64] },
  { shape: [1, 1] },
  { shape: [0, 8] },
  { shape: [3, 1000] },
  // rows not a whole number of vectors, and more rows than one block of the cpu's SIMD path
  { shape: [230, 37] },
  { shape: [3, 64], weight: 'bfloat16' },
  { shape: [2, 37], weight: 'float16' },
];

/** A case's name, its x and its weight. */
export function normCase({ shape, weight }: (typeof NORM_CASES)[number]) {
  return {
    name: `[${shape.join(', ')}]${weight ? `, ${weight} weight` : ''}`,
    x: floats(shape, uniform(-3, 3)),
    weight: floats([shape[shape.length - 1]!], uniform(0.5, 1.5), weight),
  };
}

export const conformance = [
  conformanceOf(rmsNorm, {
    tolerance: ACCUMULATE,
    cases: NORM_CASES.map((c) => {
      const { name, x, weight } = normCase(c);
      return { name, inputs: [x, weight], attrs: { eps: 1e-6 } };
    }),
    errors: [{ name: 'a weight of the wrong length', inputs: [floats([2, 4]), floats([3])], attrs: { eps: 1e-6 } }],
  }),
  conformanceOf(rmsNormGrad, {
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    cases: NORM_CASES.map((c) => {
      const { name, x, weight } = normCase(c);
      return { name, inputs: [floats(c.shape), x, weight], attrs: { eps: 1e-6 } };
    }),
  }),
];

import { floats, uniform } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import type { DType } from '../../dtype.js';
import { addRmsNorm } from './contract.js';

const CASES: { shape: number[]; weight?: DType }[] = [
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

export const conformance = [
  conformanceOf(addRmsNorm, {
    tolerance: ACCUMULATE,
    cases: CASES.map(({ shape, weight }) => ({
      name: `[${shape.join(', ')}]${weight ? `, ${weight} weight` : ''}`,
      inputs: [
        floats(shape, uniform(-3, 3)),
        floats(shape, uniform(-2, 2)),
        floats([shape[shape.length - 1]!], uniform(0.5, 1.5), weight),
      ],
      attrs: { eps: 1e-6 },
    })),
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

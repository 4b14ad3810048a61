import { floats } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import type { DType } from '../../dtype.js';
import { loraLinear } from './contract.js';

/** x [m, k] through weight [n, k] with a rank-r adapter; float32 sums of k (and r) products of magnitude <= 1. */
function loraCase(
  name: string,
  m: number,
  n: number,
  k: number,
  r: number,
  weightDtype?: DType,
  scaling = 2,
  dropout?: { dropout: number; seed: number },
) {
  return {
    name,
    inputs: [floats([m, k]), floats([n, k], undefined, weightDtype), floats([r, k]), floats([n, r])],
    attrs: { scaling, ...dropout },
    tolerance: { atol: 1e-6 * (k * (1 + scaling * r) + 8), rtol: 1e-5 },
  };
}

export const conformance = [
  conformanceOf(loraLinear, {
    tolerance: ACCUMULATE,
    cases: [
      // Decoding: a few rows (the GEMV with the low-rank term in its epilogue on webgpu).
      loraCase('one row, [1, 64] through [40, 64], rank 8', 1, 40, 64, 8),
      loraCase('bfloat16 weight, 3 rows, K not a multiple of 4, rank 3', 3, 37, 45, 3, 'bfloat16', 0.5),
      loraCase('float16 weight, 8 rows, rank 16', 8, 33, 48, 16, 'float16'),
      loraCase('rank 1, 2 rows, N not a multiple of 4', 2, 7, 16, 1),
      // More rows: the tuned matmul and a pass adding the low-rank term.
      loraCase('many rows [40, 24] through [36, 24], rank 4', 40, 36, 24, 4),
      loraCase('bfloat16 weight, [65, 63] through [67, 63], rank 5', 65, 67, 63, 5, 'bfloat16'),
      // Dropout on the adapter's input: the same mask (the randomUniform stream) on every backend.
      loraCase('dropout 0.25, 30 rows', 30, 20, 16, 4, undefined, 2, { dropout: 0.25, seed: 7 }),
      loraCase('dropout 0.5, one row, bfloat16 weight', 1, 40, 64, 8, 'bfloat16', 1, {
        dropout: 0.5,
        seed: 2 ** 40 + 3,
      }),
      loraCase('size-0 rows', 0, 5, 4, 2),
      loraCase('K = 0 gives zeros', 3, 5, 0, 2),
    ],
    errors: [
      {
        name: 'a weight of the wrong K',
        inputs: [floats([2, 4]), floats([3, 5]), floats([2, 4]), floats([3, 2])],
        attrs: { scaling: 1 },
      },
      {
        name: 'loraA of the wrong K',
        inputs: [floats([2, 4]), floats([3, 4]), floats([2, 5]), floats([3, 2])],
        attrs: { scaling: 1 },
      },
      {
        name: 'loraB of the wrong rank',
        inputs: [floats([2, 4]), floats([3, 4]), floats([2, 4]), floats([3, 3])],
        attrs: { scaling: 1 },
      },
      {
        name: 'dropout 1',
        inputs: [floats([2, 4]), floats([3, 4]), floats([2, 4]), floats([3, 2])],
        attrs: { scaling: 1, dropout: 1, seed: 1 },
      },
      {
        name: 'dropout without a seed',
        inputs: [floats([2, 4]), floats([3, 4]), floats([2, 4]), floats([3, 2])],
        attrs: { scaling: 1, dropout: 0.1 },
      },
      {
        name: 'a 3-D x',
        inputs: [floats([1, 2, 4]), floats([3, 4]), floats([2, 4]), floats([3, 2])],
        attrs: { scaling: 1 },
      },
    ],
  }),
];

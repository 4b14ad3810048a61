import { floats } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import type { DType } from '../../dtype.js';
import { matmul } from './contract.js';

function matmulCase(name: string, a: number[], b: number[], transposeA = false, transposeB = false, bDtype?: DType) {
  const k = transposeA ? a[a.length - 2] : a[a.length - 1];
  // float32 accumulation of k products of magnitude <= 1.
  return {
    name,
    inputs: [floats(a), floats(b, undefined, bDtype)],
    attrs: { transposeA, transposeB },
    tolerance: { atol: 1e-6 * (k + 8), rtol: 1e-5 },
  };
}

export const conformance = [
  conformanceOf(matmul, {
    tolerance: ACCUMULATE,
    cases: [
      matmulCase('1x1 by 1x1', [1, 1], [1, 1]),
      matmulCase('non-square 5x7 by 7x3', [5, 7], [7, 3]),
      matmulCase('transposeA', [7, 5], [7, 3], true, false),
      matmulCase('transposeB', [5, 7], [3, 7], false, true),
      matmulCase('both transposed', [7, 5], [3, 7], true, true),
      matmulCase('odd sizes 65x63 by 63x67', [65, 63], [63, 67]),
      matmulCase('batched [2, 3, 4, 5] by shared [5, 6] (a linear layer)', [2, 3, 4, 5], [5, 6]),
      matmulCase('broadcast batch [2, 1, 3, 4] by [1, 5, 4, 2]', [2, 1, 3, 4], [1, 5, 4, 2]),
      matmulCase(
        'batched, transposeB (attention scores) [2, 3, 9, 8] by [2, 3, 11, 8]',
        [2, 3, 9, 8],
        [2, 3, 11, 8],
        false,
        true,
      ),
      matmulCase('batched transposeA (weight gradient) [3, 10, 4] by [3, 10, 6]', [3, 10, 4], [3, 10, 6], true, false),
      matmulCase('larger 128x256 by 256x96', [128, 256], [256, 96]),
      matmulCase('size-0 rows [0, 3] by [3, 4]', [0, 3], [3, 4]),
      matmulCase('K = 0 gives zeros: [2, 0] by [0, 3]', [2, 0], [0, 3]),
      matmulCase('size-0 batch [0, 2, 3] by [3, 4]', [0, 2, 3], [3, 4]),
      // A half-precision weight, as decoding multiplies it (a few rows by b [N, K] transposed) and as a GEMM.
      matmulCase('bfloat16 b, one row by [67, 45] transposed', [1, 45], [67, 45], false, true, 'bfloat16'),
      matmulCase('float16 b, batched [2, 3, 40] by [33, 40] transposed', [2, 3, 40], [33, 40], false, true, 'float16'),
      matmulCase('bfloat16 b, 20 rows by [24, 16] transposed', [20, 24], [16, 24], false, true, 'bfloat16'),
      matmulCase('float16 b, [5, 9] by [9, 7]', [5, 9], [9, 7], false, false, 'float16'),
    ],
    errors: [{ name: 'inner dimensions that differ', inputs: [floats([2, 3]), floats([4, 5])] }],
  }),
];

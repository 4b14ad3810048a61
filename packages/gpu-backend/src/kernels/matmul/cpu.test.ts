import { describe, expect, it } from 'vitest';
import {
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
} from '../../dtype-convert.js';
import { expectClose, randomArray, runCpu } from '../../cpu/cpu.test-util.js';
import { gemvCallCount } from '../../cpu/matmul/gemv.js';
import { nativeGemvCallCount } from '../../cpu/matmul/native-gemm.js';
import { GEMV_MIN_K_PER_ROW, gemvRowLimit } from './cpu.js';

function naiveMatmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}

describe('cpu matmul', () => {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    it(`multiplies with transposeA=${ta} transposeB=${tb}`, async () => {
      const [m, k, n] = [5, 7, 3];
      const a = randomArray(m * k, 1);
      const b = randomArray(k * n, 2);
      const [out] = await runCpu(
        'matmul',
        [
          { data: a, shape: ta ? [k, m] : [m, k] },
          { data: b, shape: tb ? [n, k] : [k, n] },
        ],
        { transposeA: ta, transposeB: tb },
      );
      expect(out.shape).toEqual([m, n]);
      expectClose(out.data, naiveMatmul(a, b, m, k, n, ta, tb));
    });
  }

  it('broadcasts batch dims', async () => {
    const a = randomArray(2 * 1 * 3 * 4, 3);
    const b = randomArray(1 * 5 * 4 * 2, 4);
    const [out] = await runCpu('matmul', [
      { data: a, shape: [2, 1, 3, 4] },
      { data: b, shape: [1, 5, 4, 2] },
    ]);
    expect(out.shape).toEqual([2, 5, 3, 2]);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 5; j++) {
        const expected = naiveMatmul(
          a.subarray(i * 12, i * 12 + 12),
          b.subarray(j * 8, j * 8 + 8),
          3,
          4,
          2,
          false,
          false,
        );
        expectClose(out.data.subarray((i * 5 + j) * 6, (i * 5 + j) * 6 + 6), expected);
      }
  });

  it('folds a batched linear layer and handles K = 0 and size-0 outputs', async () => {
    const a = randomArray(2 * 3 * 4, 5);
    const b = randomArray(4 * 6, 6);
    const [out] = await runCpu('matmul', [
      { data: a, shape: [2, 3, 4] },
      { data: b, shape: [4, 6] },
    ]);
    expectClose(out.data, naiveMatmul(a, b, 6, 4, 6, false, false));
    const [zeroK] = await runCpu('matmul', [
      { data: [], shape: [2, 0] },
      { data: [], shape: [0, 3] },
    ]);
    expect(Array.from(zeroK.data)).toEqual([0, 0, 0, 0, 0, 0]);
    const [empty] = await runCpu('matmul', [
      { data: [], shape: [0, 3] },
      { data: randomArray(6, 1), shape: [3, 2] },
    ]);
    expect(empty.shape).toEqual([0, 2]);
    await expect(
      runCpu('matmul', [
        { data: a, shape: [2, 3, 4] },
        { data: b, shape: [6, 4] },
      ]),
    ).rejects.toThrow('matmul: inner dimensions differ: a [2, 3, 4] has K=4, b [6, 4] has K=6');
  });

  it('runs a float32 weight as dot products up to the limit of the GEMM in use, and the GEMM past it', async () => {
    const limit = gemvRowLimit('f32');
    // K long enough for the dot products at every row count up to the limit.
    const [k, n] = [GEMV_MIN_K_PER_ROW * limit + 3, 131];
    const b = randomArray(n * k, 70);
    const dotProductCalls = () => gemvCallCount() + nativeGemvCallCount();
    for (const [m, dotProducts] of [
      [limit, true],
      [limit + 1, false],
    ] as const) {
      const a = randomArray(m * k, 71 + m);
      const before = dotProductCalls();
      const [out] = await runCpu(
        'matmul',
        [
          { data: a, shape: [m, k] },
          { data: b, shape: [n, k] },
        ],
        { transposeB: true },
      );
      expect(dotProductCalls() - before, `${m} rows`).toBe(dotProducts ? 1 : 0);
      expectClose(out.data, naiveMatmul(a, b, m, k, n, false, true));
    }
  });

  it('runs a product with a short K on the GEMM, however few its rows', async () => {
    const n = 601; // past the GEMM's plain-loop size at every shape here
    const dotProductCalls = () => gemvCallCount() + nativeGemvCallCount();
    let seed = 80;
    for (const dtype of ['float32', 'bfloat16'] as const) {
      for (const [m, k] of [
        [1, 8],
        [2, 16],
        [4, 31],
        [4, 32],
        [8, 8],
      ] as const) {
        const a = randomArray(m * k, seed++);
        const b = randomArray(n * k, seed++);
        const stored = dtype === 'bfloat16' ? bfloat16ArrayToFloat32(float32ArrayToBfloat16(b)) : b;
        const before = dotProductCalls();
        const [out] = await runCpu(
          'matmul',
          [
            { data: a, shape: [m, k] },
            { data: b, shape: [n, k], dtype },
          ],
          { transposeB: true },
        );
        const dotProducts = k >= GEMV_MIN_K_PER_ROW * m;
        expect(dotProductCalls() - before, `${dtype} ${m} rows, K ${k}`).toBe(dotProducts ? 1 : 0);
        expectClose(out.data, naiveMatmul(a, stored, m, k, n, false, true));
      }
    }
  });

  it('multiplies by a bfloat16 or float16 b as stored, on the dot-product path and the GEMM path', async () => {
    // K long enough for the dot products up to the half-precision row limit.
    const [k, n] = [GEMV_MIN_K_PER_ROW * gemvRowLimit('bf16') + 5, 129];
    let seed = 40;
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const b = randomArray(n * k, seed++);
      // The values b holds once stored in the half type: the product must use exactly these.
      const half = dtype === 'bfloat16' ? float32ArrayToBfloat16(b) : float32ArrayToFloat16(b);
      const stored = dtype === 'bfloat16' ? bfloat16ArrayToFloat32(half) : float16ArrayToFloat32(half);
      // The limit for a half-precision weight (the same with either GEMM).
      const limit = gemvRowLimit('bf16');
      for (const [lead, m, ta, dotProducts] of [
        [[], 1, false, true],
        [[], 3, true, true],
        [[2], 4, false, true], // batch folds into 8 rows
        [[4], limit / 4, false, true], // the dot-product path's limit for a half-precision weight
        [[], limit + 1, false, false], // past it: the GEMM
        [[3], 11, false, false],
      ] as const) {
        // Dot products run on the native addon's kernel when the native GEMM is in use, else on WebAssembly's.
        const dotProductCalls = () => gemvCallCount() + nativeGemvCallCount();
        const callsBefore = dotProductCalls();
        const rows = lead.reduce((x, y) => x * y, 1) * m;
        const a = randomArray(rows * k, seed++);
        const aShape = ta ? [...lead, k, m] : [...lead, m, k];
        const [out] = await runCpu(
          'matmul',
          [
            { data: a, shape: aShape },
            { data: b, shape: [n, k], dtype },
          ],
          { transposeA: ta, transposeB: true },
        );
        expect(out.shape).toEqual([...lead, m, n]);
        expect(dotProductCalls() - callsBefore, `${dtype} ${m} rows`).toBe(dotProducts ? 1 : 0);
        const batches = rows / m;
        for (let t = 0; t < batches; t++) {
          const expected = naiveMatmul(a.subarray(t * m * k, (t + 1) * m * k), stored, m, k, n, ta, true);
          expectClose(out.data.subarray(t * m * n, (t + 1) * m * n), expected);
        }
      }
      // Not transposed (b [K, N]): widened, then the GEMM.
      const a = randomArray(2 * k, seed++);
      const [out] = await runCpu('matmul', [
        { data: a, shape: [2, k] },
        { data: b, shape: [k, n], dtype },
      ]);
      expectClose(out.data, naiveMatmul(a, stored, 2, k, n, false, false));
    }
  });
});

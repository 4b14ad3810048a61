import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, runCpu } from '../../cpu/cpu.test-util.js';

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
});

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gemv, nativeInfo, setIsa, setThreads, type BType, type GemvParams } from './index.js';
import { fromBf16, fromF16, seeded, smallProduct, toBf16, toF16 } from './values.test-util.js';

interface Problem {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  /** B stored [n, k] (default true) or [k, n]. */
  transB?: boolean;
  bType?: BType;
  /** Extra elements between stored rows of A, B and C. */
  pad?: number;
}

/** Runs gemv with offsets and padding and checks every element (and what lies around C) against float64 loops. */
function check(pr: Problem, seed: number): void {
  const { m, n, k } = pr;
  const transA = pr.transA ?? false;
  const transB = pr.transB ?? true;
  const bType = pr.bType ?? 'float32';
  const pad = pr.pad ?? 0;
  const rand = seeded(seed);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const lda = aCols + pad;
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const ldb = bCols + pad;
  const ldc = n + pad;
  const aOffset = 3;
  const bOffset = 5;
  const cOffset = 2;
  const a = new Float32Array(aOffset + aRows * lda + 1).map(() => rand());
  const bValues = Array.from({ length: bOffset + bRows * ldb + 1 }, () =>
    bType === 'float16' ? Math.round(rand() * 1024) / 1024 : rand(),
  );
  const b =
    bType === 'float32' ? Float32Array.from(bValues) : Uint16Array.from(bValues, bType === 'bfloat16' ? toBf16 : toF16);
  const bAt = (i: number) => (bType === 'float32' ? b[i]! : bType === 'bfloat16' ? fromBf16(b[i]!) : fromF16(b[i]!));
  const c = new Float32Array(cOffset + m * ldc + 2).map(() => rand());
  const before = c.slice();
  const params: GemvParams = { m, n, k, a, aOffset, lda, transA, b, bType, bOffset, ldb, transB, c, cOffset, ldc };
  gemv(params);
  const where = JSON.stringify(pr);
  const tolerance = 1e-6 * (k + 8);
  const inside = new Set<number>();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++)
        sum += a[aOffset + (transA ? p * lda + i : i * lda + p)]! * bAt(bOffset + (transB ? j * ldb + p : p * ldb + j));
      const at = cOffset + i * ldc + j;
      inside.add(at);
      if (!(Math.abs(c[at]! - sum) <= tolerance))
        throw new Error(`${where}: C[${i}][${j}] is ${c[at]}, expected ${sum}`);
    }
  }
  for (let i = 0; i < c.length; i++)
    if (!inside.has(i) && !Object.is(c[i], before[i])) throw new Error(`${where}: wrote C[${i}] outside the product`);
}

afterEach(() => setIsa('auto'));
afterAll(() => setThreads(nativeInfo().processors));

describe('gemv on every instruction set this CPU runs', () => {
  for (const isa of nativeInfo().isas) {
    for (const bType of ['float32', 'bfloat16', 'float16'] as const) {
      it(`${isa}, ${bType}: rows 1-8, every tail of the vector width and of the row groups, padded, transposed A`, () => {
        setIsa(isa);
        let seed = 1;
        for (const m of [1, 2, 3, 8])
          for (const n of [1, 3, 4, 5, 33])
            for (const k of [1, 7, 8, 15, 16, 17, 40])
              for (const [transA, pad] of [
                [false, 0],
                [true, 3],
              ] as const)
                check({ m, n, k, transA, bType, pad }, seed++);
      });
      it(`${isa}, ${bType}: B stored [k, n]: rows 1-5, every tail of the column tiles and vectors, padded, transposed A`, () => {
        setIsa(isa);
        let seed = 100;
        for (const m of [1, 2, 3, 5])
          for (const n of [1, 7, 8, 9, 16, 17, 31, 32, 33, 64, 127, 128, 129, 200])
            for (const k of [1, 3, 17])
              for (const [transA, pad] of [
                [false, 0],
                [true, 3],
              ] as const)
                check({ m, n, k, transA, transB: false, bType, pad }, seed++);
      });
      it(`${isa}, ${bType}: products large enough for the pool's threads, at 1 and at every thread`, () => {
        setIsa(isa);
        for (const threads of [1, nativeInfo().processors]) {
          setThreads(threads);
          check({ m: 1, n: 1027, k: 160, bType }, 11);
          check({ m: 5, n: 301, k: 515, bType, pad: 1 }, 12);
          check({ m: 2, n: 1000, k: 130, transB: false, bType }, 13);
          check({ m: 3, n: 385, k: 600, transB: false, bType, pad: 2 }, 14);
        }
      });
    }
  }
});

describe('gemv semantics', () => {
  it('overwrites C (NaN in it does not leak in) and writes zeros when k is 0', () => {
    const c = new Float32Array(4).fill(Number.NaN);
    gemv({ m: 2, n: 2, k: 1, a: new Float32Array([1, 2]), b: new Float32Array([3, 4]), c });
    expect([...c]).toEqual([3, 4, 6, 8]);
    const d = new Float32Array(5).fill(7);
    gemv({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), c: d, cOffset: 1 });
    expect([...d]).toEqual([7, 0, 0, 0, 0]);
  });

  it('does nothing for an empty product', () => {
    const c = new Float32Array(2).fill(5);
    gemv({ m: 0, n: 2, k: 3, a: new Float32Array(0), b: new Float32Array(6), c });
    gemv({ m: 1, n: 0, k: 3, a: new Float32Array(3), b: new Float32Array(0), c });
    expect([...c]).toEqual([5, 5]);
  });

  it("agrees bit for bit at every thread count (each output is one thread's sum in a fixed order)", () => {
    const rand = seeded(3);
    const a = new Float32Array(2 * 700).map(() => rand());
    const b = Uint16Array.from({ length: 900 * 700 }, () => toBf16(rand()));
    for (const transB of [true, false]) {
      // More threads than cores too: the split, not the machine, must not change a bit.
      const results = [1, 2, 3, Math.max(4, nativeInfo().processors)].map((threads) => {
        setThreads(threads);
        const c = new Float32Array(2 * 900);
        gemv({ m: 2, n: 900, k: 700, a, b, bType: 'bfloat16', transB, c });
        return c;
      });
      for (const c of results.slice(1)) expect(c).toEqual(results[0]);
    }
  });

  it('B stored [k, n] is the product with B itself (a small case by hand)', () => {
    // A [1 2; 3 4] times B [5 6 7; 8 9 10] (stored [k, n]).
    const c = new Float32Array(6).fill(Number.NaN);
    gemv({
      m: 2,
      n: 3,
      k: 2,
      a: new Float32Array([1, 2, 3, 4]),
      b: new Float32Array([5, 6, 7, 8, 9, 10]),
      transB: false,
      c,
    });
    expect([...c]).toEqual([21, 24, 27, 47, 54, 61]);
  });
});

describe('gemv arguments', () => {
  const base = (): GemvParams => smallProduct();

  it('names the operand, its extent and length when an array is too short', () => {
    expect(() => gemv({ ...base(), b: new Float32Array(11) })).toThrow(
      /^gemv: b needs elements up to index 11 \(offset 0, 3 x 4 with leading dimension 4\), but has length 11$/,
    );
    expect(() => gemv({ ...base(), cOffset: 1 })).toThrow(/gemv: c needs elements up to index 6/);
    expect(() => gemv({ ...base(), a: new Float32Array(7) })).toThrow(/gemv: a needs elements up to index 7/);
    expect(() => gemv({ ...base(), ldb: 3 })).toThrow(/gemv: ldb \(3\) must be at least 4, the columns of b as stored/);
    // Stored [k, n] = [4, 3]: 12 elements, and rows of at least n.
    expect(() => gemv({ ...base(), transB: false, b: new Float32Array(11) })).toThrow(
      /^gemv: b needs elements up to index 11 \(offset 0, 4 x 3 with leading dimension 3\), but has length 11$/,
    );
    expect(() => gemv({ ...base(), transB: false, ldb: 2 })).toThrow(/gemv: ldb \(2\) must be at least 3/);
  });

  it('names a bad size, offset, flag or type', () => {
    expect(() => gemv({ ...base(), m: -1 })).toThrow(/gemv: m must be a non-negative integer, got -1/);
    expect(() => gemv({ ...base(), k: 1.5 })).toThrow(/gemv: k must be a non-negative integer, got 1.5/);
    expect(() => gemv({ ...base(), bOffset: Number.NaN })).toThrow(/gemv: bOffset must be a non-negative integer/);
    expect(() => gemv({ ...base(), transA: 1 as unknown as boolean })).toThrow(/gemv: transA must be a boolean/);
    expect(() => gemv({ ...base(), transB: 0 as unknown as boolean })).toThrow(/gemv: transB must be a boolean/);
    expect(() => gemv({ ...base(), bType: 'int8' as BType })).toThrow(
      /bType must be 'float32', 'bfloat16' or 'float16'/,
    );
    expect(() => gemv({ ...base(), a: new Float64Array(8) as unknown as Float32Array })).toThrow(
      /gemv: a must be a Float32Array/,
    );
    expect(() => gemv({ ...base(), bType: 'bfloat16' })).toThrow(/gemv: b must be a Uint16Array/);
  });

  it('refuses an output that shares memory with an input', () => {
    const memory = new Float32Array(64);
    expect(() => gemv({ ...base(), a: memory.subarray(0, 8), c: memory.subarray(4, 10) })).toThrow(
      /gemv: c overlaps a in memory/,
    );
    expect(() => gemv({ ...base(), b: memory.subarray(20, 32), c: memory.subarray(30, 36) })).toThrow(
      /gemv: c overlaps b in memory/,
    );
  });
});

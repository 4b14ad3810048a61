import { describe, expect, it } from 'vitest';
import { createBackend } from '../../index.js';
import { HEAP_MAX_K, selectAscending, selectTopKRows } from './select.js';

/** The definition, by sorting: entries >= the k-th largest, in index order (NaN rows: -1). */
function bySorting(row: Float32Array, k: number): number[] | -1 {
  if (row.some((v) => v !== v)) return -1;
  const kth = [...row].sort((a, b) => b - a)[k - 1]!;
  const kept: number[] = [];
  row.forEach((v, j) => {
    if (v >= kth) kept.push(j);
  });
  return kept;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** selectTopKRows over `rows` rows of x gives each row what sorting does: its slots, values and count (-1 with a NaN). */
function expectSortingsSelection(x: Float32Array, rows: number, n: number, k: number, capacity: number, what: string) {
  const index = new Int32Array(rows * capacity);
  const value = new Float32Array(rows * capacity);
  const count = new Int32Array(rows);
  selectTopKRows(x, rows, n, k, capacity, index, value, count);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const expected = bySorting(row, k);
    const slots = Array.from(index.subarray(r * capacity, (r + 1) * capacity));
    if (expected === -1) {
      expect([what, count[r]]).toEqual([what, -1]);
      expect(slots.every((j) => j === -1)).toBe(true);
      continue;
    }
    expect([what, count[r]]).toEqual([what, expected.length]);
    expect(count[r]).toBeGreaterThanOrEqual(k);
    const shown = expected.slice(0, capacity);
    expect(slots).toEqual([...shown, ...new Array<number>(capacity - shown.length).fill(-1)]);
    shown.forEach((j, i) => expect(Object.is(value[r * capacity + i], row[j])).toBe(true));
  }
}

describe('selectTopK (cpu)', () => {
  it('keeps what sorting keeps, over random rows with ties, zeros of both signs and infinities', () => {
    const rand = seeded(7);
    const pool = [0, -0, 1, -1, 2.5, Infinity, -Infinity, 1e-40, -1e-40];
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rand() * 60);
      const rows = 1 + Math.floor(rand() * 3);
      const k = 1 + Math.floor(rand() * n);
      const capacity = 1 + Math.floor(rand() * (n + 2));
      const x = Float32Array.from({ length: rows * n }, () =>
        rand() < 0.5 ? pool[Math.floor(rand() * pool.length)]! : Math.round((rand() - 0.5) * 8) / 2,
      );
      if (trial % 25 === 0) x[Math.floor(rand() * x.length)] = NaN;
      expectSortingsSelection(x, rows, n, k, capacity, `trial ${trial}`);
    }
  });

  it('keeps what sorting keeps on long rows: ascending (every entry replaces the minimum), descending, plateaus, random', () => {
    const rand = seeded(11);
    const n = 5000;
    const rows: Array<[string, Float32Array]> = [
      ['ascending', Float32Array.from({ length: n }, (_, j) => j)],
      ['descending', Float32Array.from({ length: n }, (_, j) => -j)],
      ['plateaus', Float32Array.from({ length: n }, (_, j) => Math.floor(j / 700))],
      ['random', Float32Array.from({ length: n }, () => (rand() - 0.5) * 20)],
      ['late NaN', Float32Array.from({ length: n }, (_, j) => (j === n - 1 ? NaN : rand()))],
    ];
    for (const [name, row] of rows) {
      for (const k of [1, 20, 700, n]) {
        const capacity = 64;
        const index = new Int32Array(capacity);
        const value = new Float32Array(capacity);
        const count = new Int32Array(1);
        selectTopKRows(row, 1, n, k, capacity, index, value, count);
        const expected = bySorting(row, k);
        if (expected === -1) {
          expect([name, k, count[0]]).toEqual([name, k, -1]);
          continue;
        }
        expect([name, k, count[0]]).toEqual([name, k, expected.length]);
        expect(Array.from(index.subarray(0, Math.min(capacity, expected.length)))).toEqual(expected.slice(0, capacity));
      }
    }
  });

  it(`keeps what sorting keeps past k = ${HEAP_MAX_K} (the sampled threshold), whatever the rows hold`, () => {
    const rand = seeded(23);
    const pool = [0, -0, 1, -1, 2.5, Infinity, -Infinity, 1e-40];
    for (let trial = 0; trial < 40; trial++) {
      const n = 1025 + Math.floor(rand() * 5000);
      const rows = 1 + Math.floor(rand() * 3);
      const k = HEAP_MAX_K + 1 + Math.floor(rand() * (n - HEAP_MAX_K));
      const capacity = 1 + Math.floor(rand() * (k + 50));
      const spread = trial % 3 === 0 ? () => pool[Math.floor(rand() * pool.length)]! : () => (rand() - 0.5) * 40;
      const x = Float32Array.from({ length: rows * n }, spread);
      if (trial % 8 === 0) x[Math.floor(rand() * x.length)] = NaN;
      expectSortingsSelection(x, rows, n, k, capacity, `random n ${n} k ${k}`);
    }
    // The largest entries where the strided sample never reads: fewer than k reach its threshold,
    // and the heap pass takes the row.
    const n = 4096;
    const hidden = new Float32Array(n);
    for (let j = 1; j < n; j += 4) hidden[j] = 1 + j;
    expectSortingsSelection(hidden, 1, n, 500, 600, 'between the samples');
    // A NaN where the sample reads (index 0 always is): the row reports -1.
    const nanFirst = Float32Array.from({ length: n }, (_, j) => (j === 0 ? NaN : j % 13));
    expectSortingsSelection(nanFirst, 1, n, 200, 210, 'NaN in the sample');
    // Every entry the same, or two values: the k-th largest is a tie shared by most of the row.
    expectSortingsSelection(new Float32Array(n).fill(3), 1, n, 100, 80, 'all equal');
    expectSortingsSelection(
      Float32Array.from({ length: n }, (_, j) => (j % 7 === 0 ? 2 : 1)),
      1,
      n,
      300,
      700,
      'two values',
    );
  });

  it('selectAscending finds the p-th smallest, also on inputs that defeat a median-of-three pivot', () => {
    const rand = seeded(31);
    const shapes: Record<string, (f: number) => Float32Array> = {
      random: (f) => Float32Array.from({ length: f }, () => rand() * 100),
      ascending: (f) => Float32Array.from({ length: f }, (_, i) => i),
      descending: (f) => Float32Array.from({ length: f }, (_, i) => -i),
      'organ pipe': (f) => Float32Array.from({ length: f }, (_, i) => Math.min(i, f - i)),
      'few values': (f) => Float32Array.from({ length: f }, () => Math.floor(rand() * 3)),
      // Musser's median-of-three killer: each round's pivot is the second smallest.
      'median-of-3 killer': (f) => {
        const a = new Float32Array(f);
        const half = f >> 1;
        for (let i = 0; i < half; i++) {
          a[2 * i] = i % 2 === 0 ? i + 1 : half + i + 1;
          a[2 * i + 1] = i % 2 === 0 ? half + i + 1 : i + 1;
        }
        return a;
      },
    };
    for (const [name, make] of Object.entries(shapes))
      for (const f of [1, 2, 3, 10, 257, 4096])
        for (const p of [0, f >> 2, f >> 1, f - 1]) {
          const a = make(f);
          const sorted = Float32Array.from(a).sort();
          expect([name, f, p, selectAscending(a, f, p)]).toEqual([name, f, p, sorted[p]]);
        }
  });

  it('runs as a kernel with three outputs and names its bad attrs', async () => {
    const backend = await createBackend('cpu');
    try {
      const x = {
        storage: backend.upload(Float32Array.from([3, 1, 4, 1, 5, 9, 2, 6]), 'float32'),
        shape: [2, 4],
        dtype: 'float32' as const,
      };
      const [index, value, count] = backend.run('selectTopK', [x], { k: 2, capacity: 3 });
      expect(Array.from(await backend.read(index!.storage))).toEqual([0, 2, -1, 1, 3, -1]);
      expect(Array.from(await backend.read(value!.storage))).toEqual([3, 4, 0, 9, 6, 0]);
      expect(Array.from(await backend.read(count!.storage))).toEqual([2, 2]);
      expect(() => backend.run('selectTopK', [x], { k: 5, capacity: 3 })).toThrow(
        /selectTopK.*attrs\.k must be in \[1, 4\]/,
      );
      expect(() => backend.run('selectTopK', [x], { k: 1, capacity: 0 })).toThrow(/selectTopK.*capacity must be >= 1/);
    } finally {
      await backend.dispose();
    }
  });
});

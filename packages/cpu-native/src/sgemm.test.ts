import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  nativeInfo,
  releaseMemory,
  setBlocking,
  setIsa,
  setThreads,
  sgemm,
  type BType,
  type SgemmParams,
} from './index.js';
import { fromBf16, fromF16, seeded, smallProduct, toBf16, toF16 } from './values.test-util.js';

interface Problem {
  m: number;
  n: number;
  k: number;
  batch?: number;
  transA?: boolean;
  transB?: boolean;
  bType?: BType;
  /** Extra elements between stored rows (lda = row length + pad), and so on. */
  pad?: number;
  strideA0?: boolean;
  strideB0?: boolean;
  alpha?: number;
  beta?: number;
}

/** Builds the problem with offsets and padding, runs sgemm, and checks every element (and what lies around C) against float64 loops. */
function check(pr: Problem, seed: number): void {
  const { m, n, k } = pr;
  const batch = pr.batch ?? 1;
  const transA = pr.transA ?? false;
  const transB = pr.transB ?? false;
  const bType = pr.bType ?? 'float32';
  const pad = pr.pad ?? 0;
  const rand = seeded(seed);
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = aCols + pad;
  const ldb = bCols + pad;
  const ldc = n + pad;
  const strideA = pr.strideA0 ? 0 : aRows * lda + 3;
  const strideB = pr.strideB0 ? 0 : bRows * ldb + 5;
  const strideC = m * ldc + 2;
  const aOffset = 4;
  const bOffset = 6;
  const cOffset = 3;
  const a = new Float32Array(aOffset + (batch - 1) * strideA + aRows * lda + 1).map(() => rand());
  const bValues = Array.from({ length: bOffset + (batch - 1) * strideB + bRows * ldb + 1 }, () =>
    bType === 'float16' ? Math.round(rand() * 1024) / 1024 : rand(),
  );
  const b =
    bType === 'float32' ? Float32Array.from(bValues) : Uint16Array.from(bValues, bType === 'bfloat16' ? toBf16 : toF16);
  const bAt = (i: number) => (bType === 'float32' ? b[i]! : bType === 'bfloat16' ? fromBf16(b[i]!) : fromF16(b[i]!));
  const c = new Float32Array(cOffset + (batch - 1) * strideC + m * ldc + 2).map(() => rand());
  const before = c.slice();
  const alpha = pr.alpha ?? 1;
  const beta = pr.beta ?? 0;
  const params: SgemmParams = {
    m,
    n,
    k,
    batch,
    a,
    aOffset,
    lda,
    transA,
    strideA,
    b,
    bType,
    bOffset,
    ldb,
    transB,
    strideB,
    c,
    cOffset,
    ldc,
    strideC,
    alpha,
    beta,
  };
  sgemm(params);
  const where = JSON.stringify(pr);
  const tolerance = 1e-6 * (k + 8);
  const inside = new Set<number>();
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = a[aOffset + t * strideA + (transA ? p * lda + i : i * lda + p)]!;
          const bv = bAt(bOffset + t * strideB + (transB ? j * ldb + p : p * ldb + j));
          sum += av * bv;
        }
        const at = cOffset + t * strideC + i * ldc + j;
        inside.add(at);
        const expected = alpha * sum + (beta === 0 ? 0 : beta * before[at]!);
        const got = c[at]!;
        if (!(Math.abs(got - expected) <= tolerance * (1 + Math.abs(beta))))
          throw new Error(`${where}: C[${t}][${i}][${j}] is ${got}, expected ${expected}`);
      }
    }
  }
  for (let i = 0; i < c.length; i++)
    if (!inside.has(i) && !Object.is(c[i], before[i])) throw new Error(`${where}: wrote C[${i}] outside the product`);
}

const ODD = [1, 7, 33, 257];

afterEach(() => {
  setIsa('auto');
  setBlocking({});
});

afterAll(() => {
  setThreads(nativeInfo().processors);
});

describe('sgemm on every micro-kernel this CPU runs', () => {
  for (const isa of nativeInfo().isas) {
    it(`${isa}: odd shapes (1, 7, 33, 257), all transposes`, () => {
      setIsa(isa);
      expect(nativeInfo().isa).toBe(isa);
      let seed = 1;
      for (const m of ODD)
        for (const n of ODD)
          for (const k of [1, 7, 33])
            for (const [transA, transB] of [
              [false, false],
              [true, false],
              [false, true],
              [true, true],
            ] as const) {
              if (m * n * k > 257 * 257 * 7) continue; // the float64 loops are slow; 257^3 below
              check({ m, n, k, transA, transB }, seed++);
            }
      check({ m: 257, n: 257, k: 257, transB: true }, seed);
    });

    it(`${isa}: leading dimensions, batch strides (shared operands too), alpha and beta`, () => {
      setIsa(isa);
      let seed = 100;
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          check({ m: 19, n: 45, k: 70, pad: 3, batch: 3, transA, transB }, seed++);
          check({ m: 13, n: 17, k: 9, batch: 4, strideB0: true, transA, transB }, seed++);
          check({ m: 13, n: 17, k: 9, batch: 2, strideA0: true, transA, transB }, seed++);
          check({ m: 30, n: 35, k: 20, alpha: -0.5, beta: 0.25, transA, transB }, seed++);
          check({ m: 30, n: 35, k: 20, alpha: 2, beta: 1, pad: 1, transA, transB }, seed++);
        }
    });

    it(`${isa}: bfloat16 and float16 B widened while packing`, () => {
      setIsa(isa);
      let seed = 200;
      for (const bType of ['bfloat16', 'float16'] as const)
        for (const transB of [false, true]) {
          check({ m: 33, n: 40, k: 57, bType, transB }, seed++);
          check({ m: 5, n: 3, k: 300, bType, transB, batch: 2, pad: 2 }, seed++);
        }
    });
  }

  it('widens float16 exactly: subnormals, infinities and NaN', () => {
    // One row of A of ones picks each B value out: C[0][j] = B[0][j] (k = 1).
    const halves = [0x0001, 0x03ff, 0x0400, 0x3c00, 0xbc00, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000];
    const c = new Float32Array(halves.length);
    sgemm({ m: 1, n: halves.length, k: 1, a: new Float32Array([1]), b: Uint16Array.from(halves), bType: 'float16', c });
    // A sum starts from +0, so -0 comes out as +0 (as in any BLAS).
    expect([...c]).toEqual(halves.map((h) => fromF16(h) + 0));
  });
});

describe('sgemm semantics', () => {
  it('propagates NaN and Inf as IEEE arithmetic does, and never reads C when beta is 0', () => {
    // Row 0 of A is zero and B holds an Inf: 0 * Inf is NaN. C starts as NaN: overwritten.
    const a = new Float32Array([0, 0, 1, 2]);
    const b = new Float32Array([Infinity, 1, 1, 1]);
    const c = new Float32Array(4).fill(Number.NaN);
    sgemm({ m: 2, n: 2, k: 2, a, b, c });
    expect([...c]).toEqual([Number.NaN, 0, Infinity, 3]);
    // A NaN in A reaches every output of its row, and only those.
    const big = new Float32Array(40 * 50).fill(1);
    big[3 * 50 + 7] = Number.NaN;
    const out = new Float32Array(40 * 60);
    sgemm({ m: 40, n: 60, k: 50, a: big, b: new Float32Array(50 * 60).fill(1), c: out });
    for (let i = 0; i < 40; i++)
      for (let j = 0; j < 60; j++) expect(Number.isNaN(out[i * 60 + j]!), `C[${i}][${j}]`).toBe(i === 3);
  });

  it('k = 0: C becomes beta * C (zeros for beta 0), and a and b are not read', () => {
    const c = new Float32Array([5, 5, 5, 5, 5, 5]);
    sgemm({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), c, cOffset: 1 });
    expect([...c]).toEqual([5, 0, 0, 0, 0, 5]);
    const d = new Float32Array([1, 2, 3, 4]);
    sgemm({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), c: d, beta: 2 });
    expect([...d]).toEqual([2, 4, 6, 8]);
  });

  it('m, n or batch of 0 writes nothing', () => {
    const c = new Float32Array([7, 7]);
    sgemm({ m: 0, n: 2, k: 3, a: new Float32Array(0), b: new Float32Array(6), c });
    sgemm({ m: 1, n: 2, k: 3, a: new Float32Array(3), b: new Float32Array(6), c, batch: 0 });
    expect([...c]).toEqual([7, 7]);
  });

  it('gives the same result with one thread, two and three, and with small blocks', () => {
    const rand = seeded(7);
    const [m, n, k] = [301, 277, 530];
    const a = new Float32Array(m * k).map(() => rand());
    const b = new Float32Array(k * n).map(() => rand());
    const results = [1, 2, 3].map((threads) => {
      expect(setThreads(threads)).toBe(threads);
      expect(nativeInfo().threads).toBe(threads);
      const c = new Float32Array(m * n);
      sgemm({ m, n, k, a, b, c });
      return c;
    });
    // The same blocking on every thread count: the same sums in the same order.
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    setBlocking({ kc: 48, mc: 30, nc: 64 });
    check({ m: 61, n: 95, k: 150, transA: true, transB: true, batch: 2 }, 300);
    releaseMemory();
    check({ m: 61, n: 95, k: 150 }, 301);
  });

  it('cuts problems over the pass budget into row and column chunks, and batches into groups', () => {
    let seed = 500;
    // (70 + 96) x 40 packed floats per item: a budget of 3000 cuts one item into chunks ...
    setBlocking({ passBudget: 3000 });
    for (const transA of [false, true])
      for (const transB of [false, true]) check({ m: 70, n: 90, k: 40, transA, transB, pad: 1 }, seed++);
    // ... tall and wide ones too (one row chunk and several column chunks, and the reverse) ...
    check({ m: 10, n: 300, k: 40, transB: true }, seed++);
    check({ m: 300, n: 10, k: 40, transA: true }, seed++);
    // ... and a batch of small items into groups of a few per pass.
    setBlocking({ passBudget: 4000 });
    check({ m: 12, n: 20, k: 30, batch: 7, strideB0: true }, seed++);
    check({ m: 12, n: 20, k: 30, batch: 5, bType: 'bfloat16', transB: true }, seed);
  });

  it('cuts a deep K (a gradient through a vocabulary-sized layer) into chunks that accumulate', () => {
    let seed = 600;
    for (const transA of [false, true])
      for (const transB of [false, true]) check({ m: 5, n: 40, k: 9001, transA, transB }, seed++);
    check({ m: 3, n: 7, k: 8200, alpha: 0.5, beta: -2, batch: 2 }, seed++);
    setBlocking({ passBudget: 20000 });
    check({ m: 20, n: 33, k: 5000, transB: true, bType: 'float16' }, seed);
  });
});

describe('sgemm arguments', () => {
  const base = (): SgemmParams => smallProduct();

  it('names the operand, its extent and length when an array is too short', () => {
    expect(() => sgemm({ ...base(), b: new Float32Array(11) })).toThrow(
      /b needs elements up to index 11 .* but has length 11/,
    );
    expect(() => sgemm({ ...base(), cOffset: 1 })).toThrow(/c needs elements up to index 6/);
    expect(() => sgemm({ ...base(), batch: 2 })).toThrow(/c needs elements up to index 11/);
    expect(() => sgemm({ ...base(), lda: 3 })).toThrow(/lda \(3\) must be at least 4, the columns of a as stored/);
  });

  it('names a bad size, offset, flag or type', () => {
    expect(() => sgemm({ ...base(), m: -1 })).toThrow(/m must be a non-negative integer, got -1/);
    expect(() => sgemm({ ...base(), k: 1.5 })).toThrow(/k must be a non-negative integer, got 1.5/);
    expect(() => sgemm({ ...base(), aOffset: Number.NaN })).toThrow(/aOffset must be a non-negative integer/);
    expect(() => sgemm({ ...base(), alpha: Infinity })).toThrow(/alpha must be a finite number/);
    expect(() => sgemm({ ...base(), transA: 1 as unknown as boolean })).toThrow(/transA must be a boolean/);
    expect(() => sgemm({ ...base(), bType: 'int8' as BType })).toThrow(
      /bType must be 'float32', 'bfloat16' or 'float16'/,
    );
    expect(() => sgemm({ ...base(), a: new Float64Array(8) as unknown as Float32Array })).toThrow(
      /a must be a Float32Array/,
    );
    expect(() => sgemm({ ...base(), bType: 'bfloat16' })).toThrow(/b must be a Uint16Array/);
  });

  it('refuses an output that shares memory with an input, or batch outputs that overlap', () => {
    const memory = new Float32Array(64);
    const a = memory.subarray(0, 8);
    expect(() => sgemm({ ...base(), a, c: memory.subarray(4, 10) })).toThrow(/c overlaps a in memory/);
    expect(() => sgemm({ ...base(), b: memory.subarray(20, 32), c: memory.subarray(30, 36) })).toThrow(
      /c overlaps b in memory/,
    );
    expect(() =>
      sgemm({
        ...base(),
        batch: 2,
        a: new Float32Array(16),
        b: new Float32Array(24),
        c: new Float32Array(12),
        strideC: 3,
      }),
    ).toThrow(/strideC \(3\) makes the batch's outputs overlap/);
  });

  it('names an unknown or unsupported instruction set, and a bad thread count', () => {
    expect(() => setIsa('sse9' as 'avx2')).toThrow(/unknown isa 'sse9'/);
    expect(() => setThreads(0)).toThrow(/threads must be an integer from 1 to 256/);
  });
});

describe('sgemm from several threads at once', () => {
  it('gives correct results when Node worker threads multiply at the same time as the main thread', async () => {
    const { Worker } = await import('node:worker_threads');
    const addonPath = new URL('../addon.cjs', import.meta.url).pathname;
    // Each worker repeats a product and checks it against its first result.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.addonPath);
      const [m, n, k] = [90, 110, 130];
      const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 101) / 101 - 0.5);
      const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 104729) % 97) / 97 - 0.5);
      const params = new Float64Array([m, n, k, 1, 0, k, 0, 0, 0, n, 0, 0, 0, 0, n, 0, 1, 0]);
      const first = new Float32Array(m * n);
      addon.sgemm(a, b, first, params);
      let mismatches = 0;
      for (let call = 0; call < 200; call++) {
        const c = new Float32Array(m * n);
        addon.sgemm(a, b, c, params);
        for (let i = 0; i < c.length; i++) if (c[i] !== first[i]) mismatches++;
      }
      parentPort.postMessage({ mismatches, sample: first[1234] });
    `;
    const runs = [0, 1].map(
      () =>
        new Promise<{ mismatches: number; sample: number }>((resolve, reject) => {
          const worker = new Worker(code, { eval: true, workerData: { addonPath } });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    );
    for (let call = 0; call < 50; call++) check({ m: 64, n: 70, k: 90, transB: true }, 400 + call);
    const results = await Promise.all(runs);
    for (const r of results) expect(r.mismatches).toBe(0);
    expect(results[0]!.sample).toBe(results[1]!.sample);
  });
});

describe('the thread pool between products', () => {
  it('returns only after every task of its product has run, over thousands of back-to-back products of changing sizes', () => {
    // Each shape is threaded (over 128^3) and splits into a different number of tasks, so
    // consecutive jobs differ in count: a worker still holding the previous job's state
    // must not claim a task of the next. More threads than cores get workers preempted
    // mid-claim, where that race lives.
    const shapes: [number, number, number][] = [
      [160, 150, 128],
      [256, 96, 160],
      [140, 300, 96],
      [200, 130, 128],
      [180, 180, 100],
    ];
    setThreads(1);
    const cases = shapes.map(([m, n, k], i) => {
      const rand = seeded(40 + i);
      const a = new Float32Array(m * k).map(() => rand());
      const b = new Float32Array(k * n).map(() => rand());
      const expected = new Float32Array(m * n);
      sgemm({ m, n, k, a, b, c: expected });
      return { m, n, k, a, b, expected };
    });
    setThreads(3);
    let wrong = 0;
    for (let call = 0; call < 4000; call++) {
      const { m, n, k, a, b, expected } = cases[call % cases.length]!;
      const c = new Float32Array(m * n);
      sgemm({ m, n, k, a, b, c });
      // The same blocking on every thread count gives the same sums in the same order.
      for (let i = 0; i < c.length; i++) if (c[i] !== expected[i]) wrong++;
    }
    expect(wrong).toBe(0);
  });
});

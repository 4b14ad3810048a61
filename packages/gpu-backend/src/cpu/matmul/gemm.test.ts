import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  configureGemm,
  disposeGemm,
  gemm,
  gemmImplementation,
  gemmReference,
  gemmWorkerTaskCount,
  getGemmConfig,
  initGemm,
  type GemmParams,
} from './gemm.js';
import { nativeGemmCallCount, nativeGemmStatus } from './native-gemm.js';
import { relaxedSimdAvailable } from './relaxed-simd.js';

/**
 * Inputs are uniform in [-1, 1], so each output is a sum of K products of
 * magnitude <= 1 and float32 rounding grows at most linearly in K: the
 * stated tolerance is |fast - reference| <= 1e-6 * K (plus 1e-6).
 */
const tolerance = (k: number) => 1e-6 * k + 1e-6;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

function randomArray(size: number, rand: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rand();
  return out;
}

/** Runs gemm and the reference on the same random problem (with offsets) and compares. */
function checkAgainstReference(m: number, n: number, k: number, transA: boolean, transB: boolean, seed: number): void {
  const rand = seeded(seed);
  const aOffset = 3;
  const bOffset = 5;
  const cOffset = 7;
  const a = randomArray(aOffset + m * k + 2, rand);
  const b = randomArray(bOffset + k * n + 2, rand);
  // C starts as garbage: gemm must overwrite, not accumulate.
  const c = randomArray(cOffset + m * n + 2, rand);
  const expected = c.slice();
  const p: GemmParams = { a, aOffset, b, bOffset, c, cOffset, m, n, k, transA, transB };
  gemm(p);
  gemmReference({ ...p, c: expected });
  const tol = tolerance(k);
  let worst = 0;
  for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i]! - expected[i]!));
  const where = `m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`;
  expect(worst, where).toBeLessThanOrEqual(tol);
  // Values outside C's range are untouched.
  expect(c[cOffset - 1], where).toBe(expected[cOffset - 1]);
  expect(c[cOffset + m * n], where).toBe(expected[cOffset + m * n]);
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

// Most tests here are of the WebAssembly GEMM (its tiles, workers, chunks); the
// native GEMM has its own block below, through the same gemm() entry point.
const defaults = { ...getGemmConfig(), implementation: 'wasm' as const };

beforeAll(async () => {
  await configureGemm(defaults);
});

afterEach(async () => {
  await configureGemm(defaults);
});

afterAll(async () => {
  await disposeGemm();
});

describe('gemm (single thread)', () => {
  it('matches the reference on edge shapes, all transposes', async () => {
    await configureGemm({ threads: 1, minPackedWork: 0 });
    const dims = [0, 1, 2, 5, 7, 9, 17];
    let seed = 1;
    for (const [transA, transB] of TRANSPOSES) {
      for (const m of dims)
        for (const n of dims) for (const k of [0, 1, 3, 8]) checkAgainstReference(m, n, k, transA, transB, seed++);
    }
  });

  it('matches the reference on random shapes across k blocks and edge tiles', async () => {
    // Small blocks so the shapes below cross several k blocks and task tiles.
    await configureGemm({ threads: 1, minPackedWork: 0, kc: 32, mc: 18, nc: 24 });
    const rand = seeded(99);
    let seed = 1000;
    for (const [transA, transB] of TRANSPOSES) {
      for (let trial = 0; trial < 6; trial++) {
        const dim = () => 1 + Math.floor(((rand() + 1) / 2) * 90);
        checkAgainstReference(dim(), dim(), dim(), transA, transB, seed++);
      }
    }
  });

  it('cuts problems larger than the working set into row and column chunks', async () => {
    await configureGemm({ threads: 1, minPackedWork: 0, maxWorkingSet: 4000 });
    let seed = 2000;
    for (const [transA, transB] of TRANSPOSES) checkAgainstReference(61, 83, 47, transA, transB, seed++);
  });

  it('matches the reference with other register tiles', async () => {
    let seed = 2500;
    for (const kernel of [
      { mr: 6, nr: 16, unroll: 1 },
      { mr: 4, nr: 12, unroll: 2 },
      { mr: 5, nr: 8, unroll: 3 },
      { mr: 8, nr: 4, unroll: 1 },
      { mr: 4, nr: 8, unroll: 1, fma: false },
      ...(relaxedSimdAvailable() ? [{ mr: 4, nr: 8, unroll: 2, fma: true }] : []),
    ]) {
      await configureGemm({ threads: 1, minPackedWork: 0, kc: 40, mc: 16, nc: 24, kernel });
      for (const [transA, transB] of TRANSPOSES) {
        checkAgainstReference(23, 29, 97, transA, transB, seed++);
        checkAgainstReference(3, 2, 5, transA, transB, seed++);
      }
    }
    await expect(configureGemm({ kernel: { mr: 4, nr: 6, unroll: 1 } })).rejects.toThrow(/nr a multiple of 4/);
  });

  it('uses the fused multiply-add kernel by default where relaxed SIMD compiles', () => {
    // Node 20 compiles it once the V8 flag is set (relaxed-simd.ts); later runtimes by default.
    expect(relaxedSimdAvailable()).toBe(true);
    expect(getGemmConfig().kernel.fma).toBe(true);
  });

  it('writes nothing when m or n is 0 and zeros C when k is 0', () => {
    const c = new Float32Array([5, 5, 5, 5, 5, 5]);
    gemm({
      a: new Float32Array(0),
      aOffset: 0,
      b: new Float32Array(0),
      bOffset: 0,
      c,
      cOffset: 1,
      m: 2,
      n: 2,
      k: 0,
      transA: false,
      transB: false,
    });
    expect([...c]).toEqual([5, 0, 0, 0, 0, 5]);
    gemm({
      a: new Float32Array(0),
      aOffset: 0,
      b: new Float32Array(4),
      bOffset: 0,
      c,
      cOffset: 0,
      m: 0,
      n: 2,
      k: 2,
      transA: false,
      transB: false,
    });
    expect([...c]).toEqual([5, 0, 0, 0, 0, 5]);
  });

  it('propagates NaN and Inf like IEEE arithmetic on both paths', async () => {
    for (const minPackedWork of [0, 1e9]) {
      await configureGemm({ threads: 1, minPackedWork });
      // Row 0 of A is zero and B holds an Inf: 0 * Inf is NaN.
      const a = new Float32Array([0, 0, 1, 2]);
      const b = new Float32Array([Infinity, 1, 1, 1]);
      const c = new Float32Array(4);
      gemm({ a, aOffset: 0, b, bOffset: 0, c, cOffset: 0, m: 2, n: 2, k: 2, transA: false, transB: false });
      expect([...c], `minPackedWork=${minPackedWork}`).toEqual([Number.NaN, 0, Infinity, 3]);
    }
  });

  it('names the operand and sizes when an array is too short', () => {
    const p: GemmParams = {
      a: new Float32Array(6),
      aOffset: 0,
      b: new Float32Array(5),
      bOffset: 0,
      c: new Float32Array(4),
      cOffset: 0,
      m: 2,
      n: 2,
      k: 3,
      transA: false,
      transB: false,
    };
    expect(() => gemm(p)).toThrow(/b needs 6 values from offset 0, but has length 5/);
    expect(() => gemm({ ...p, b: new Float32Array(6), m: -1 })).toThrow(/m must be a non-negative integer/);
  });
});

describe('gemm (threads)', () => {
  it('shares tasks with worker threads and matches the reference, all transposes', async () => {
    // The calling thread runs no task here, so the workers must have done them all.
    await configureGemm({
      threads: 2,
      minPackedWork: 0,
      minThreadedWork: 0,
      callerRunsTasks: false,
      kc: 64,
      mc: 24,
      nc: 32,
    });
    await initGemm();
    const before = gemmWorkerTaskCount();
    let seed = 3000;
    for (const [transA, transB] of TRANSPOSES) {
      checkAgainstReference(130, 97, 150, transA, transB, seed++);
      checkAgainstReference(1, 40, 33, transA, transB, seed++);
      checkAgainstReference(45, 1, 70, transA, transB, seed++);
    }
    expect(gemmWorkerTaskCount()).toBeGreaterThan(before);
  });

  it('stays consistent over many back-to-back threaded calls', async () => {
    // Jobs follow each other closely, so a worker often wakes for a job that
    // is already over: it must never run a task with another job's parameters.
    await configureGemm({ threads: 2, minPackedWork: 0, minThreadedWork: 0, mc: 6, nc: 16 });
    await initGemm();
    const rand = seeded(77);
    const shapes = [
      [24, 40, 16],
      [13, 70, 9],
    ] as const;
    const problems = shapes.map(([m, n, k]) => {
      const p: GemmParams = {
        a: randomArray(m * k, rand),
        aOffset: 0,
        b: randomArray(k * n, rand),
        bOffset: 0,
        c: new Float32Array(m * n),
        cOffset: 0,
        m,
        n,
        k,
        transA: false,
        transB: false,
      };
      const expected = new Float32Array(m * n);
      gemmReference({ ...p, c: expected });
      return { p, expected };
    });
    for (let call = 0; call < 3000; call++) {
      const { p, expected } = problems[call % 2]!;
      p.c.fill(Number.NaN);
      gemm(p);
      for (let i = 0; i < expected.length; i++) {
        if (!(Math.abs(p.c[i]! - expected[i]!) <= tolerance(p.k)))
          throw new Error(`call ${call}: C[${i}] = ${p.c[i]}, expected ${expected[i]}`);
      }
    }
  });

  it('runs with the calling thread and workers together on a larger problem', async () => {
    await configureGemm({ threads: 2 });
    await initGemm();
    checkAgainstReference(257, 263, 300, false, true, 4000);
    checkAgainstReference(200, 190, 520, true, false, 4001);
  });

  it('restarts cleanly after disposeGemm', async () => {
    await configureGemm({ threads: 2, minPackedWork: 0, minThreadedWork: 0 });
    await disposeGemm();
    checkAgainstReference(40, 50, 60, false, false, 5000);
    await disposeGemm();
    checkAgainstReference(40, 50, 60, true, true, 5001);
  });
});

const native = nativeGemmStatus();

describe.skipIf(!native.available)(`gemm on the native GEMM (${native.isa ?? native.reason})`, () => {
  // The file's afterEach puts the WebAssembly GEMM back after every test: each test here takes the native one
  // again, and must have called it.
  let callsBefore = 0;
  beforeEach(async () => {
    await configureGemm({ implementation: 'native' });
    callsBefore = nativeGemmCallCount();
  });
  afterEach(() => {
    expect(nativeGemmCallCount(), 'native GEMM calls in this test').toBeGreaterThan(callsBefore);
  });

  it('is the implementation in use', () => {
    expect(gemmImplementation()).toBe('native');
    checkAgainstReference(3, 5, 7, false, false, 5999);
  });

  it('matches the reference on odd shapes (1, 7, 33, 257 and non-multiples of the tile), all transposes', () => {
    const dims = [1, 7, 33, 257];
    let seed = 6000;
    for (const [transA, transB] of TRANSPOSES) {
      for (const m of dims)
        for (const n of dims)
          for (const k of [1, 7, 33, 257]) {
            if (m * n * k > 33 * 257 * 257) continue; // the reference loops are slow
            checkAgainstReference(m, n, k, transA, transB, seed++);
          }
      checkAgainstReference(257, 129, 300, transA, transB, seed++);
    }
  });

  it('uses the configured thread count', async () => {
    for (const threads of [1, 2, 3]) {
      await configureGemm({ threads, implementation: 'native' });
      checkAgainstReference(150, 170, 190, true, false, 7000 + threads);
      expect(nativeGemmStatus().threads).toBe(threads);
    }
  });

  it('zeros C when k is 0, leaves it when m or n is 0, and propagates NaN and Inf', () => {
    const c = new Float32Array([5, 5, 5, 5, 5, 5]);
    const empty = {
      a: new Float32Array(0),
      aOffset: 0,
      b: new Float32Array(0),
      bOffset: 0,
      transA: false,
      transB: false,
    };
    gemm({ ...empty, c, cOffset: 1, m: 2, n: 2, k: 0 });
    expect([...c]).toEqual([5, 0, 0, 0, 0, 5]);
    gemm({ ...empty, b: new Float32Array(4), c, cOffset: 0, m: 0, n: 2, k: 2 });
    expect([...c]).toEqual([5, 0, 0, 0, 0, 5]);
    const a = new Float32Array([0, 0, 1, 2]);
    const b = new Float32Array([Infinity, 1, 1, 1]);
    const out = new Float32Array(4).fill(Number.NaN);
    gemm({ a, aOffset: 0, b, bOffset: 0, c: out, cOffset: 0, m: 2, n: 2, k: 2, transA: false, transB: false });
    expect([...out]).toEqual([Number.NaN, 0, Infinity, 3]);
  });

  it('still names the operand and sizes when an array is too short', () => {
    const p: GemmParams = {
      a: new Float32Array(6),
      aOffset: 0,
      b: new Float32Array(5),
      bOffset: 0,
      c: new Float32Array(4),
      cOffset: 0,
      m: 2,
      n: 2,
      k: 3,
      transA: false,
      transB: false,
    };
    expect(() => gemm(p)).toThrow(/b needs 6 values from offset 0, but has length 5/);
    // Refused before the addon is called; the next product runs on it.
    checkAgainstReference(2, 2, 3, false, false, 7100);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { bfloat16BitsToFloat32, float16BitsToFloat32 } from '../../dtype-convert.js';
import { configureGemm, disposeGemm, getGemmConfig } from './gemm.js';
import { gemv, type GemvElement } from './gemv.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const widen: Record<GemvElement, (bits: number) => number> = {
  f32: (x) => x,
  bf16: bfloat16BitsToFloat32,
  f16: float16BitsToFloat32,
};

/** Random B in the element type: f32 values, or the bits of random values in [-1, 1). */
function randomB(element: GemvElement, size: number, rand: () => number): Float32Array | Uint16Array {
  if (element === 'f32') return Float32Array.from({ length: size }, rand);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  return Uint16Array.from({ length: size }, () => {
    f[0] = rand();
    // Truncated bf16 bits, or an f16 pattern of a finite value in (-2, 2): sign, exponent 0..15, mantissa.
    return element === 'bf16'
      ? u[0]! >>> 16
      : ((u[0]! >>> 16) & 0x8000) | (Math.floor(Math.abs(rand()) * 0x3fff) & 0x3fff);
  });
}

/** gemv against float64 loops over the widened values. */
function check(element: GemvElement, m: number, n: number, k: number, transA: boolean, seed: number): void {
  const rand = seeded(seed);
  const aOffset = 3;
  const bOffset = 5;
  const cOffset = 2;
  const a = Float32Array.from({ length: aOffset + m * k + 1 }, rand);
  const b = randomB(element, bOffset + n * k + 1, rand);
  const c = Float32Array.from({ length: cOffset + m * n + 1 }, rand);
  const before = c.slice();
  gemv({ a, aOffset, transA, b, bOffset, element, c, cOffset, m, n, k });
  const where = `${element} m=${m} n=${n} k=${k} transA=${transA}`;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let kk = 0; kk < k; kk++) {
        const av = transA ? a[aOffset + kk * m + i]! : a[aOffset + i * k + kk]!;
        s += av * widen[element](b[bOffset + j * k + kk]!);
      }
      worst = Math.max(worst, Math.abs(c[cOffset + i * n + j]! - s) / (1 + Math.abs(s)));
    }
  }
  expect(worst, where).toBeLessThanOrEqual(2e-6 * (k + 8));
  expect(c[cOffset - 1], where).toBe(before[cOffset - 1]);
  expect(c[cOffset + m * n], where).toBe(before[cOffset + m * n]);
}

afterAll(async () => {
  await disposeGemm();
});

describe('gemv', () => {
  it('matches float64 loops for f32, bf16 and f16 rows, padded and unpadded k, 1 to 9 rows of A', () => {
    let seed = 1;
    for (const element of ['f32', 'bf16', 'f16'] as const) {
      for (const [m, n, k] of [
        [1, 1, 1],
        [1, 37, 8],
        [1, 300, 67],
        [2, 45, 128],
        [4, 19, 24],
        [5, 33, 40],
        [9, 7, 13],
        [3, 1000, 200],
      ]) {
        check(element, m!, n!, k!, false, seed++);
        check(element, m!, n!, k!, true, seed++);
      }
    }
  });

  it('spans several chunks of B (rows of 4096 bf16 values)', () => {
    check('bf16', 2, 70, 4096, false, 77);
    check('f32', 1, 40, 4096, false, 78);
  });

  it('widens every bfloat16 and float16 bit pattern exactly (NaN, infinities, subnormals)', () => {
    const n = 65536;
    const bits = Uint16Array.from({ length: n }, (_, i) => i);
    for (const element of ['bf16', 'f16'] as const) {
      const c = new Float32Array(n);
      // k = 1: each output is 1 * widen(bits), padded with zeros to k = 8 inside.
      gemv({
        a: new Float32Array([1]),
        aOffset: 0,
        transA: false,
        b: bits,
        bOffset: 0,
        element,
        c,
        cOffset: 0,
        m: 1,
        n,
        k: 1,
      });
      for (let i = 0; i < n; i++) {
        const want = widen[element](i);
        if (Number.isNaN(want)) expect(Number.isNaN(c[i]), `${element} bits 0x${i.toString(16)}`).toBe(true);
        // A dot product starts from +0, so -0 comes out as +0 (as in the GEMM and the reference loops).
        else if (c[i] !== want) expect(c[i], `${element} bits 0x${i.toString(16)}`).toBe(want);
      }
    }
  });

  it('gives the same results with the mul+add kernel', async () => {
    const kernel = getGemmConfig().kernel;
    await configureGemm({ kernel: { ...kernel, fma: false } });
    try {
      check('f16', 3, 50, 77, false, 91);
      check('bf16', 1, 50, 64, true, 92);
    } finally {
      await configureGemm({ kernel });
    }
  });

  it('zeros C when k is 0, leaves it when m or n is 0, and names bad arguments', () => {
    const c = new Float32Array([5, 5]);
    gemv({
      a: new Float32Array(0),
      aOffset: 0,
      transA: false,
      b: new Uint16Array(0),
      bOffset: 0,
      element: 'bf16',
      c,
      cOffset: 0,
      m: 1,
      n: 2,
      k: 0,
    });
    expect([...c]).toEqual([0, 0]);
    const args = {
      a: new Float32Array(4),
      aOffset: 0,
      transA: false,
      b: new Uint16Array(8),
      bOffset: 0,
      element: 'bf16' as const,
      c,
      cOffset: 0,
      m: 1,
      n: 2,
      k: 4,
    };
    expect(() => gemv({ ...args, b: new Float32Array(8) })).toThrow(/b must be a Uint16Array for element 'bf16'/);
    expect(() => gemv({ ...args, n: 3 })).toThrow(/gemv: b needs 12 values from offset 0, but has length 8/);
    expect(() => gemv({ ...args, m: -1 })).toThrow(/m must be a non-negative integer/);
  });
});

import { describe, expect, it } from 'vitest';
import { expf } from '../expf.js';
import { simdExp } from './exp.js';
import { simdRows } from './simd.js';

/** Deterministic values in [lo, hi). */
function values(n: number, seed: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

const ulps = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b) * 2 ** -23, 2 ** -149);
const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x)));

describe('cpu simd row kernels', () => {
  const s = simdRows();

  it('exp_sum: exp(x * p0 - p1) in place within 2 ulp of expf (of the float32 argument), the float64 sum of the results, any length', () => {
    for (const n of [0, 1, 3, 4, 5, 7, 8, 257, 1001]) {
      const x = values(n, n + 1, -30, 30);
      const base = s.reserve(n + 8);
      s.f32.set(x, base);
      s.f32[base + n] = 12345; // the element after the row must stay
      s.params.set([0.5, 3, 0, 0]);
      s.kernels.exp_sum(base * 4, n);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        // the argument is formed in float32, as the kernel forms it
        const want = Math.fround(expf(Math.fround(Math.fround(x[i]! * 0.5) - 3)));
        expect(ulps(s.f32[base + i]!, want)).toBeLessThanOrEqual(2);
        sum += s.f32[base + i]!;
      }
      expect(s.f32[base + n]).toBe(12345);
      expect(Math.abs(s.sumResult() - sum)).toBeLessThanOrEqual(1e-12 * sum);
    }
  });

  it('exp_sum: -Infinity gives 0, below -87.3 gives 0 at most a subnormal away, NaN stays NaN, overflow Infinity', () => {
    const x = Float32Array.from([-Infinity, -200, -87, -1e-30, 0, NaN, 0.5, 88, 89, Infinity, 80]);
    const base = s.reserve(x.length);
    s.f32.set(x, base);
    s.params.set([1, 0, 0, 0]);
    s.kernels.exp_sum(base * 4, x.length);
    const out = s.f32.slice(base, base + x.length);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
    expect(ulps(out[2]!, Math.fround(Math.exp(-87)))).toBeLessThanOrEqual(2);
    expect(out[3]).toBe(1);
    expect(out[4]).toBe(1);
    expect(out[5]).toBeNaN();
    expect(ulps(out[6]!, Math.fround(Math.exp(0.5)))).toBeLessThanOrEqual(2);
    expect(ulps(out[7]!, Math.fround(Math.exp(88)))).toBeLessThanOrEqual(2);
    expect(out[8]).toBe(Infinity);
    expect(out[9]).toBe(Infinity);
    expect(ulps(out[10]!, Math.fround(Math.exp(80)))).toBeLessThanOrEqual(2);
    expect(s.sumResult()).toBeNaN();
  });

  it('max_scaled: the maximum of x * p0 over any length, wherever it lies, NaN when one is NaN, +0 over signed zeros', () => {
    const maxOf = (x: Float32Array, scale: number) => {
      const base = s.reserve(x.length);
      s.f32.set(x, base);
      s.params.set([scale, 0, 0, 0]);
      s.kernels.max_scaled(base * 4, x.length);
      return s.maxResult();
    };
    for (const n of [...Array.from({ length: 40 }, (_, i) => i + 1), 1000]) {
      const x = values(n, n, -5, 5);
      expect(maxOf(x, -0.25), `n ${n}`).toBe(Math.max(...Array.from(x, (v) => Math.fround(v * -0.25))));
    }
    // The maximum (and a NaN) in every running maximum's lanes and in the tail.
    const n = 37;
    for (let at = 0; at < n; at++) {
      const x = values(n, 3, -5, 5);
      x[at] = 9;
      expect(maxOf(x, 1), `maximum at ${at}`).toBe(9);
      x[at] = NaN;
      expect(maxOf(x, 1), `NaN at ${at}`).toBeNaN();
    }
    expect(
      Object.is(
        maxOf(
          Float32Array.from({ length: 21 }, (_, i) => (i % 3 ? -0 : 0)),
          1,
        ),
        0,
      ),
    ).toBe(true);
    expect(Object.is(maxOf(new Float32Array(21).fill(-0), 1), -0)).toBe(true);
    expect(maxOf(new Float32Array(18).fill(-Infinity), 1)).toBe(-Infinity);
  });

  it('exp_scaled: p2 * exp(x * p0 - p1) in place, any length', () => {
    for (const n of [11, 16, 37, 70]) {
      const x = values(n, 9, -4, 0);
      const base = s.reserve(n + 1);
      s.f32.set(x, base);
      s.f32[base + n] = -7;
      s.params.set([2, 1, -0.5, 0]);
      s.kernels.exp_scaled(base * 4, n);
      for (let i = 0; i < n; i++) {
        expect(
          ulps(s.f32[base + i]!, Math.fround(-0.5 * expf(Math.fround(Math.fround(x[i]! * 2) - 1)))),
        ).toBeLessThanOrEqual(3);
      }
      expect(s.f32[base + n]).toBe(-7);
    }
  });

  it('attention_grad_row: p = exp(s * scale - lse), ds = p (dp - delta) gradScale, both in place, any length', () => {
    for (const n of [10, 16, 37, 70]) {
      const sc = values(n, 3, -3, 3);
      const dp = values(n, 4, -1, 1);
      const base = s.reserve(2 * n + 2);
      s.f32.set(sc, base);
      s.f32.set(dp, base + n + 1);
      s.params.set([0.7, 2.5, 0.3, 0.6]);
      s.kernels.attention_grad_row(base * 4, (base + n + 1) * 4, n);
      for (let i = 0; i < n; i++) {
        // the argument is formed in float32 from the float32 parameters, as the kernel forms it
        const p = Math.fround(expf(Math.fround(Math.fround(sc[i]! * Math.fround(0.7)) - 2.5)));
        expect(ulps(s.f32[base + i]!, p)).toBeLessThanOrEqual(2);
        expect(s.f32[base + n + 1 + i]).toBeCloseTo(p * (dp[i]! - 0.3) * 0.6, 6);
      }
    }
  });

  it('scale: x * p0 over whole vectors', () => {
    const base = s.reserve(8);
    s.f32.set([1, 2, 3, 4, 5, 6, 7, 8], base);
    s.params.set([-2, 0, 0, 0]);
    s.kernels.scale(base * 4, 5);
    expect(Array.from(s.f32.subarray(base, base + 8))).toEqual([-2, -4, -6, -8, -10, -12, -14, -16]);
  });

  it('swiglu and swiglu_grad against the scalar formulas, saturated gates included, any length', () => {
    for (const n of [6, 16, 37, 70]) {
      const g = values(n, 5, -100, 100);
      g.set([-8, -1e-3, 0, 1e-3, 8, NaN], 0);
      g.set([8, NaN, -8, 0, -1e-3, 1e-3], n - 6);
      const u = values(n, 6, -1, 1);
      const dy = values(n, 7, -1, 1);
      const pad = Math.ceil(n / 4) * 4;
      const base = s.reserve(6 * pad);
      const [G, U, Y, DY, DG, DU] = [0, 1, 2, 3, 4, 5].map((i) => base + i * pad);
      s.f32.set(g, G!);
      s.f32.set(u, U!);
      s.f32.set(dy, DY!);
      s.kernels.swiglu(G! * 4, U! * 4, Y! * 4, n);
      s.kernels.swiglu_grad(DY! * 4, G! * 4, U! * 4, DG! * 4, DU! * 4, n);
      for (let i = 0; i < n; i++) {
        const sg = sigmoid(g[i]!);
        const close = (got: number, want: number) => {
          if (Number.isNaN(want)) expect(got).toBeNaN();
          else expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-6 + 2e-6 * Math.abs(want));
        };
        close(s.f32[Y! + i]!, g[i]! * sg * u[i]!);
        close(s.f32[DG! + i]!, dy[i]! * u[i]! * sg * (1 + g[i]! * (1 - sg)));
        close(s.f32[DU! + i]!, dy[i]! * g[i]! * sg);
      }
    }
  });

  it('gives each element the same bits in the four-vector steps as alone (exp_scaled, exp_sum, swiglu)', () => {
    const n = 16;
    const x = values(n, 21, -20, 20);
    x.set([NaN, -Infinity, 89, -90], 4);
    const base = s.reserve(4 * n);
    const together = (kernel: 'exp_scaled' | 'exp_sum') => {
      s.f32.set(x, base);
      s.params.set([0.75, 0.5, 1.5, 0]);
      s.kernels[kernel](base * 4, n);
      return Array.from(s.f32.subarray(base, base + n));
    };
    const alone = (kernel: 'exp_scaled' | 'exp_sum') =>
      Array.from(x, (v) => {
        s.f32[base] = v;
        s.params.set([0.75, 0.5, 1.5, 0]);
        s.kernels[kernel](base * 4, 1);
        return s.f32[base]!;
      });
    for (const kernel of ['exp_scaled', 'exp_sum'] as const) expect(together(kernel), kernel).toEqual(alone(kernel));
    const [G, U, Y] = [base, base + n, base + 2 * n];
    s.f32.set(x, G);
    s.f32.set(values(n, 22, -1, 1), U);
    s.kernels.swiglu(G * 4, U * 4, Y * 4, n);
    const swigluTogether = Array.from(s.f32.subarray(Y, Y + n));
    const swigluAlone = Array.from(x, (_, i) => {
      s.kernels.swiglu((G + i) * 4, (U + i) * 4, (base + 3 * n) * 4, 1);
      return s.f32[base + 3 * n]!;
    });
    expect(swigluTogether).toEqual(swigluAlone);
  });

  it('simdExp: e^x over more than one chunk, within 2 ulp of expf (finite up to 88.72), special values kept, in place too', () => {
    const n = 9001;
    const x = values(n, 11, -110, 88);
    // the first chunk reaches the four-lane exp's saturation (scalar expf there), the second does not
    x.set([88.5, Infinity], 0);
    x.set([-Infinity, NaN, 0, -0, -103], 4096);
    const out = new Float32Array(n);
    simdExp(x, out);
    expect(ulps(out[0]!, Math.fround(expf(x[0]!)))).toBeLessThanOrEqual(2);
    expect(out[0]).toBeLessThan(Infinity);
    expect(out[1]).toBe(Infinity);
    expect(out[4096]).toBe(0);
    expect(out[4097]).toBeNaN();
    expect(out[4098]).toBe(1);
    expect(out[4099]).toBe(1);
    expect(out[4100]).toBe(0);
    for (let i = 0; i < n; i++) {
      if (i < 2 || (i >= 4096 && i < 4101)) continue;
      const want = Math.fround(expf(x[i]!));
      if (want === 0) expect(out[i]).toBe(0);
      // below -87.34 the result is 0 where expf may still give a subnormal
      else if (want < 2 ** -126) expect(Math.abs(out[i]! - want)).toBeLessThan(2 ** -126);
      else expect(ulps(out[i]!, want)).toBeLessThanOrEqual(2);
    }
    const inPlace = x.slice();
    simdExp(inPlace, inPlace);
    expect(inPlace).toEqual(out);
    expect(() => simdExp(x, new Float32Array(3))).toThrow(/out holds 3 elements, x 9001/);
  });
});

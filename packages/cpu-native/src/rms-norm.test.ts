import { afterEach, describe, expect, it } from 'vitest';
import {
  nativeInfo,
  rmsNorm,
  rmsNormGrad,
  rmsNormRope,
  rmsNormRopeGrad,
  setIsa,
  setThreads,
  type RmsNormRopeParams,
} from './index.js';
import { seeded } from './values.test-util.js';

const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
const valuesOf = (n: number, rand: () => number, scale = 1) => Float32Array.from({ length: n }, () => rand() * scale);

/** 1 / sqrt(mean(x^2) + eps) of the row of d at `at`, the sum in element order. */
function inverseRms(x: Float32Array, at: number, d: number, eps: number): number {
  let ss = 0;
  for (let c = 0; c < d; c++) ss += x[at + c]! * x[at + c]!;
  return 1 / Math.sqrt(ss / d + eps);
}

/** RMSNorm's gradient formulas row after row in float64 (the JavaScript whose bits the addon keeps). */
function gradReference(dy: Float32Array, x: Float32Array, w: Float32Array, eps: number) {
  const d = w.length;
  const dx = new Float32Array(x.length);
  const dw = new Float64Array(d);
  for (let at = 0; at < x.length; at += d) {
    const r = inverseRms(x, at, d, eps);
    let dot = 0;
    for (let c = 0; c < d; c++) {
      const xr = x[at + c]! * r;
      dot += dy[at + c]! * w[c]! * xr;
      dw[c] += dy[at + c]! * xr;
    }
    for (let c = 0; c < d; c++) dx[at + c] = r * (dy[at + c]! * w[c]! - x[at + c]! * r * (dot / d));
  }
  return { dx, dw: Float32Array.from(dw) };
}

/** Rotary angles of positions [0, n) for head dim d, rounded to float32. */
function angles(n: number, d: number) {
  const half = d / 2;
  const cos = new Float32Array(n * half);
  const sin = new Float32Array(n * half);
  for (let p = 0; p < n; p++)
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * Math.fround(1 / 10000 ** ((2 * i) / d)));
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  return { cos, sin };
}

/** rmsNorm (rounded to float32) then rope into [b, h, t, d]: the composition's formulas. */
function ropeReference(
  x: Float32Array,
  w: Float32Array,
  positions: Int32Array,
  cos: Float32Array,
  sin: Float32Array,
  t: number,
  h: number,
  eps: number,
): Float32Array {
  const d = w.length;
  const half = d / 2;
  const b = positions.length / t;
  const y = new Float32Array(x.length);
  for (let bi = 0; bi < b; bi++)
    for (let ti = 0; ti < t; ti++)
      for (let hi = 0; hi < h; hi++) {
        const src = ((bi * t + ti) * h + hi) * d;
        const r = inverseRms(x, src, d, eps);
        const at = positions[bi * t + ti]! * half;
        const dst = ((bi * h + hi) * t + ti) * d;
        for (let i = 0; i < half; i++) {
          const x1 = Math.fround(x[src + i]! * r * w[i]!);
          const x2 = Math.fround(x[src + i + half]! * r * w[i + half]!);
          y[dst + i] = x1 * cos[at + i]! - x2 * sin[at + i]!;
          y[dst + i + half] = x2 * cos[at + i]! + x1 * sin[at + i]!;
        }
      }
  return y;
}

/** dy rotated back (float32) into x's layout, then gradReference: rmsNormRope's gradient formulas. */
function ropeGradReference(
  dy: Float32Array,
  x: Float32Array,
  w: Float32Array,
  positions: Int32Array,
  cos: Float32Array,
  sin: Float32Array,
  t: number,
  h: number,
  eps: number,
) {
  const d = w.length;
  const half = d / 2;
  const b = positions.length / t;
  const g = new Float32Array(x.length);
  for (let bi = 0; bi < b; bi++)
    for (let ti = 0; ti < t; ti++)
      for (let hi = 0; hi < h; hi++) {
        const src = ((bi * h + hi) * t + ti) * d;
        const dst = ((bi * t + ti) * h + hi) * d;
        const at = positions[bi * t + ti]! * half;
        for (let i = 0; i < half; i++) {
          const y1 = dy[src + i]!;
          const y2 = dy[src + i + half]!;
          g[dst + i] = y1 * cos[at + i]! + y2 * sin[at + i]!;
          g[dst + i + half] = y2 * cos[at + i]! - y1 * sin[at + i]!;
        }
      }
  return gradReference(g, x, w, eps);
}

/** The AVX2 loops (where the CPU runs them) and the portable ones: 'avx512f' selects the AVX2 loops too. */
const isas = nativeInfo().isas.filter((isa) => isa !== 'avx512f');

afterEach(() => void setIsa('auto'));

/** The WebAssembly kernel's rmsNorm: two float64 chains per row, a float32 factor, float32 products. */
function forwardReference(x: Float32Array, w: Float32Array, eps: number): Float32Array {
  const d = w.length;
  const y = new Float32Array(x.length);
  const groups = Math.floor(d / 4) * 4;
  for (let at = 0; at < x.length; at += d) {
    let even = 0;
    let odd = 0;
    for (let c = 0; c < groups; c += 4) {
      even += x[at + c]! * x[at + c]!;
      odd += x[at + c + 1]! * x[at + c + 1]!;
      even += x[at + c + 2]! * x[at + c + 2]!;
      odd += x[at + c + 3]! * x[at + c + 3]!;
    }
    for (let c = groups; c < d; c++) even += x[at + c]! * x[at + c]!;
    const f = Math.fround(1 / Math.sqrt((even + odd) / d + eps));
    for (let c = 0; c < d; c++) y[at + c] = Math.fround(x[at + c]! * f) * w[c]!;
  }
  return y;
}

describe('rmsNorm', () => {
  it.each(isas)(
    'gives the bits of the WebAssembly kernel: row counts around the eight side by side, any row length (%s)',
    (isa) => {
      setIsa(isa);
      const rand = seeded(23);
      for (const [rows, d] of [
        [1, 1],
        [3, 5],
        [8, 16],
        [9, 18],
        [17, 37],
        [40, 768],
        [300, 64],
      ] as const) {
        const x = valuesOf(rows * d, rand, 3);
        const w = valuesOf(d, rand, 1.5);
        const y = new Float32Array(rows * d).fill(Number.NaN);
        rmsNorm({ x, weight: w, eps: 1e-6, y });
        expect(bitsOf(y), `${rows} x ${d}`).toEqual(bitsOf(forwardReference(x, w, 1e-6)));
      }
    },
  );

  it("splits the rows across the pool's threads with the same bits, and names what is wrong", () => {
    const rand = seeded(29);
    const [rows, d] = [1001, 100];
    const x = valuesOf(rows * d, rand, 3);
    const w = valuesOf(d, rand, 1.5);
    const want = bitsOf(forwardReference(x, w, 1e-5));
    const processors = nativeInfo().processors;
    try {
      for (const threads of [1, 2, 3]) {
        setThreads(threads);
        const y = new Float32Array(rows * d).fill(Number.NaN);
        rmsNorm({ x, weight: w, eps: 1e-5, y });
        expect(bitsOf(y), `${threads} threads`).toEqual(want);
      }
    } finally {
      setThreads(processors);
    }
    const call = (over: Partial<Parameters<typeof rmsNorm>[0]>) => () =>
      rmsNorm({ x: new Float32Array(8), weight: new Float32Array(4), eps: 1e-6, y: new Float32Array(8), ...over });
    expect(call({})).not.toThrow();
    expect(call({ x: new Float32Array(6) })).toThrow("rmsNorm: x's length (6) must be a multiple of weight's (4)");
    expect(call({ y: new Float32Array(4) })).toThrow("rmsNorm: y must have x's length (8), got 4");
    expect(call({ weight: new Float32Array(0) })).toThrow('rmsNorm: weight must not be empty');
    expect(call({ eps: Infinity })).toThrow('rmsNorm: eps must be a finite number >= 0, got inf');
    const shared = new Float32Array(8);
    expect(call({ x: shared, y: shared })).toThrow('rmsNorm: y must share no memory with x or weight');
  });
});

describe('rmsNormGrad', () => {
  it.each(isas)(
    'gives the bits of the float64 formulas row after row: any row count, short and long rows (%s)',
    (isa) => {
      setIsa(isa);
      const rand = seeded(3);
      for (const [rows, d] of [
        [1, 1],
        [1, 8],
        [2, 5],
        [3, 7],
        [5, 64],
        [8, 192],
        [9, 33],
        [17, 100],
        [33, 768],
      ] as const) {
        for (const eps of [1e-6, 0]) {
          const x = valuesOf(rows * d, rand, 3);
          const dy = valuesOf(rows * d, rand);
          const w = valuesOf(d, rand, 1.5);
          const dx = new Float32Array(rows * d).fill(Number.NaN);
          const dweight = new Float32Array(d).fill(Number.NaN);
          rmsNormGrad({ dy, x, weight: w, eps, dx, dweight });
          const want = gradReference(dy, x, w, eps);
          expect(bitsOf(dx), `${rows} x ${d}, eps ${eps}`).toEqual(bitsOf(want.dx));
          expect(bitsOf(dweight), `${rows} x ${d}, eps ${eps}`).toEqual(bitsOf(want.dw));
        }
      }
    },
  );

  it('writes a zero weight gradient for no rows, and carries NaN and infinity as the formulas do', () => {
    const dweight = new Float32Array(4).fill(Number.NaN);
    rmsNormGrad({
      dy: new Float32Array(0),
      x: new Float32Array(0),
      weight: new Float32Array(4),
      eps: 1e-6,
      dx: new Float32Array(0),
      dweight,
    });
    expect(Array.from(dweight)).toEqual([0, 0, 0, 0]);
    const x = Float32Array.from([1, Number.NaN, 2, 3, 0, 0, 0, 0, Infinity, 1, 1, 1]);
    const dy = Float32Array.from([1, 1, 1, 1, 1, -1, 2, 0, 1, 1, 1, 1]);
    const w = Float32Array.from([1, 2, 3, 4]);
    const dx = new Float32Array(12);
    const dw = new Float32Array(4);
    rmsNormGrad({ dy, x, weight: w, eps: 0, dx, dweight: dw });
    const want = gradReference(dy, x, w, 0);
    expect(bitsOf(dx)).toEqual(bitsOf(want.dx));
    expect(bitsOf(dw)).toEqual(bitsOf(want.dw));
  });

  it('names what is wrong: lengths, an empty weight, eps, overlapping outputs, a type', () => {
    const x = new Float32Array(8);
    const w = new Float32Array(4);
    const call = (over: Partial<Parameters<typeof rmsNormGrad>[0]>) => () =>
      rmsNormGrad({
        dy: new Float32Array(8),
        x,
        weight: w,
        eps: 1e-6,
        dx: new Float32Array(8),
        dweight: new Float32Array(4),
        ...over,
      });
    expect(call({ x: new Float32Array(7), dy: new Float32Array(7), dx: new Float32Array(7) })).toThrow(
      "rmsNormGrad: x's length (7) must be a multiple of weight's (4)",
    );
    expect(call({ dy: new Float32Array(4) })).toThrow('rmsNormGrad: dy, x and dx must have one length, got 4, 8 and 8');
    expect(call({ dweight: new Float32Array(3) })).toThrow("rmsNormGrad: dweight must have weight's length (4), got 3");
    expect(call({ weight: new Float32Array(0) })).toThrow('rmsNormGrad: weight must not be empty');
    expect(call({ eps: -1 })).toThrow('rmsNormGrad: eps must be a finite number >= 0, got -1');
    expect(call({ eps: Number.NaN })).toThrow('rmsNormGrad: eps must be a finite number >= 0, got nan');
    expect(call({ dx: x })).toThrow(
      'rmsNormGrad: dx and dweight must share no memory with dy, x, weight or each other',
    );
    const both = new Float32Array(12);
    expect(call({ dx: both.subarray(0, 8), dweight: both.subarray(6, 10) })).toThrow('share no memory');
    expect(call({ x: new Int32Array(8) as unknown as Float32Array })).toThrow('rmsNormGrad: x must be a Float32Array');
  });
});

describe('rmsNormRope and rmsNormRopeGrad', () => {
  it.each(isas)(
    'give the bits of the plain formulas: head counts around the eight side by side, head dims, repeated and unordered positions (%s)',
    (isa) => {
      setIsa(isa);
      const rand = seeded(11);
      for (const [b, t, h, d] of [
        [1, 1, 1, 2],
        [1, 3, 2, 8],
        [2, 3, 3, 16],
        [2, 5, 4, 64],
        [1, 4, 5, 128],
        [3, 2, 9, 34],
        [2, 2, 16, 64],
        [1, 3, 17, 6],
      ] as const) {
        const tokens = b * t;
        const table = angles(40, d);
        const positions = Int32Array.from({ length: tokens }, (_, i) => (i * 7 + 3) % 40);
        const x = valuesOf(tokens * h * d, rand, 3);
        const w = valuesOf(d, rand, 1.5);
        const y = new Float32Array(x.length).fill(Number.NaN);
        rmsNormRope({ x, weight: w, positions, ...table, y, t, heads: h, eps: 1e-6 });
        const label = `b ${b} t ${t} h ${h} d ${d}`;
        expect(bitsOf(y), label).toEqual(bitsOf(ropeReference(x, w, positions, table.cos, table.sin, t, h, 1e-6)));
        const dy = valuesOf(x.length, rand);
        const dx = new Float32Array(x.length).fill(Number.NaN);
        const dweight = new Float32Array(d).fill(Number.NaN);
        rmsNormRopeGrad({ dy, x, weight: w, positions, ...table, dx, dweight, t, heads: h, eps: 1e-6 });
        const want = ropeGradReference(dy, x, w, positions, table.cos, table.sin, t, h, 1e-6);
        expect(bitsOf(dx), label).toEqual(bitsOf(want.dx));
        expect(bitsOf(dweight), label).toEqual(bitsOf(want.dw));
      }
    },
  );

  it("splits the forward's tokens across the pool's threads with the bits of the formulas", () => {
    const rand = seeded(17);
    const [b, t, h, d] = [2, 65, 8, 64];
    const table = angles(70, d);
    const positions = Int32Array.from({ length: b * t }, (_, i) => i % t);
    const x = valuesOf(b * t * h * d, rand, 3);
    const w = valuesOf(d, rand, 1.5);
    const want = bitsOf(ropeReference(x, w, positions, table.cos, table.sin, t, h, 1e-6));
    const processors = nativeInfo().processors;
    try {
      for (const threads of [1, 2, 3]) {
        setThreads(threads);
        const y = new Float32Array(x.length).fill(Number.NaN);
        rmsNormRope({ x, weight: w, positions, ...table, y, t, heads: h, eps: 1e-6 });
        expect(bitsOf(y), `${threads} threads`).toEqual(want);
      }
    } finally {
      setThreads(processors);
    }
  });

  it('names what is wrong: the head dim, the token count, a position outside the table, overlap', () => {
    const table = angles(4, 4);
    const base: RmsNormRopeParams = {
      x: new Float32Array(2 * 3 * 4),
      weight: new Float32Array(4),
      positions: Int32Array.from([0, 1, 2]),
      ...table,
      y: new Float32Array(24),
      t: 3,
      heads: 2,
      eps: 1e-6,
    };
    const call = (over: Partial<RmsNormRopeParams>) => () => rmsNormRope({ ...base, ...over });
    expect(call({})).not.toThrow();
    expect(call({ weight: new Float32Array(3) })).toThrow(
      "rmsNormRope: weight's length (the head dim, 3) must be even",
    );
    expect(call({ t: 2 })).toThrow("rmsNormRope: positions' length (3) must be a multiple of t (2)");
    expect(call({ t: 0 })).toThrow('rmsNormRope: t must be an integer in [1, 2147483647]');
    expect(call({ heads: 3 })).toThrow(
      "rmsNormRope: x must hold positions' length x heads x d = 3 x 3 x 4 values, got 24",
    );
    expect(call({ positions: Int32Array.from([0, 4, 1]) })).toThrow(
      'rmsNormRope: positions[1] is 4, outside the angle table (cos and sin cover positions 0 to 3)',
    );
    expect(call({ positions: Int32Array.from([0, 1, -1]) })).toThrow('rmsNormRope: positions[2] is -1');
    expect(call({ sin: new Float32Array(6) })).toThrow(
      'rmsNormRope: cos and sin must have one length, a multiple of d / 2 (2), got 8 and 6',
    );
    expect(call({ y: base.x })).toThrow('rmsNormRope: y must share no memory with x, weight, positions, cos or sin');
    expect(call({ y: new Float32Array(20) })).toThrow("rmsNormRope: y must have x's length (24), got 20");
    expect(call({ positions: new Float32Array(3) as unknown as Int32Array })).toThrow(
      'rmsNormRope: positions must be an Int32Array',
    );
    const grad = {
      dy: new Float32Array(24),
      x: base.x,
      weight: base.weight,
      positions: base.positions,
      ...table,
      dx: new Float32Array(24),
      dweight: new Float32Array(4),
      t: 3,
      heads: 2,
      eps: 1e-6,
    };
    expect(() => rmsNormRopeGrad(grad)).not.toThrow();
    expect(() => rmsNormRopeGrad({ ...grad, dx: grad.dy })).toThrow(
      'rmsNormRopeGrad: dx and dweight must share no memory',
    );
    expect(() => rmsNormRopeGrad({ ...grad, dweight: new Float32Array(2) })).toThrow(
      "rmsNormRopeGrad: dweight must have weight's length (4), got 2",
    );
    expect(() => rmsNormRopeGrad({ ...grad, dy: new Float32Array(12) })).toThrow(
      'rmsNormRopeGrad: dy, x and dx must have one length, got 12, 24 and 24',
    );
  });
});

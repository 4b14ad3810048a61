import { describe, expect, it } from 'vitest';
import type { KernelAttrs } from '../../backend.js';
import { expectClose, randomArray, runCpu } from '../../cpu/cpu.test-util.js';
import { createCpuBackend } from '../../cpu/index.js';
import { nativeGemmCallCount, nativeGemmStatus, nativeGemvCallCount } from '../../cpu/matmul/native-gemm.js';
import { ATTENTION_KEY_WINDOW, SegmentRuns, attentionScratch, maskOtherSegments } from './cpu.js';

interface Case {
  b: number;
  hq: number;
  hkv: number;
  t: number;
  s: number;
  d: number;
  causal: boolean;
  queryOffset?: number;
  segments?: number[][];
}

/** softmax(scale Q K^T + mask) V per (b, h) in float64, with the same visibility rule. */
function naiveAttention(c: Case, q: Float32Array, k: Float32Array, v: Float32Array, scale: number) {
  const qo = c.queryOffset ?? c.s - c.t;
  const out = new Float64Array(c.b * c.hq * c.t * c.d);
  const lse = new Float64Array(c.b * c.hq * c.t);
  const group = c.hq / c.hkv;
  for (let b = 0; b < c.b; b++)
    for (let h = 0; h < c.hq; h++)
      for (let i = 0; i < c.t; i++) {
        const kvh = Math.floor(h / group);
        const scores: number[] = [];
        for (let j = 0; j < c.s; j++) {
          let visible = !c.causal || j <= qo + i;
          if (c.segments && c.segments[b][j] !== c.segments[b][qo + i]) visible = false;
          let dot = 0;
          for (let x = 0; x < c.d; x++)
            dot += q[((b * c.hq + h) * c.t + i) * c.d + x] * k[((b * c.hkv + kvh) * c.s + j) * c.d + x];
          scores.push(visible ? dot * scale : -Infinity);
        }
        const m = Math.max(...scores);
        const row = (b * c.hq + h) * c.t + i;
        if (m === -Infinity) {
          lse[row] = -Infinity;
          continue;
        }
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, x) => a + x, 0);
        lse[row] = m + Math.log(z);
        for (let j = 0; j < c.s; j++)
          for (let x = 0; x < c.d; x++) out[row * c.d + x] += (e[j] / z) * v[((b * c.hkv + kvh) * c.s + j) * c.d + x];
      }
  return { out, lse };
}

const CASES: [string, Case][] = [
  ['full attention', { b: 2, hq: 2, hkv: 2, t: 5, s: 7, d: 4, causal: false }],
  ['causal self-attention', { b: 1, hq: 2, hkv: 2, t: 6, s: 6, d: 8, causal: true }],
  [
    'grouped KV heads (GQA 4:2), causal, more rows than one block',
    { b: 1, hq: 4, hkv: 2, t: 70, s: 70, d: 3, causal: true },
  ],
  ['decoding one query against a KV cache', { b: 2, hq: 2, hkv: 1, t: 1, s: 9, d: 4, causal: true }],
  ['explicit queryOffset', { b: 1, hq: 1, hkv: 1, t: 3, s: 8, d: 2, causal: true, queryOffset: 2 }],
  [
    'packed sequences with segment ids',
    {
      b: 2,
      hq: 2,
      hkv: 1,
      t: 6,
      s: 6,
      d: 4,
      causal: true,
      segments: [
        [0, 0, 0, 1, 1, 2],
        [5, 5, 5, 5, 7, 7],
      ],
    },
  ],
  ['size-1 everything', { b: 1, hq: 1, hkv: 1, t: 1, s: 1, d: 1, causal: true }],
  [
    // Every column tile, vector and single column of the native matrix-vector kernels (136 = 128 + 8).
    'decoding with GQA 4:1 and wide heads against a long cache',
    { b: 2, hq: 8, hkv: 2, t: 1, s: 300, d: 136, causal: true },
  ],
  [
    'decoding a packed row with segment ids',
    { b: 1, hq: 2, hkv: 1, t: 1, s: 5, d: 20, causal: true, segments: [[3, 3, 4, 4, 4]] },
  ],
  [
    // Row 0: an id in two runs (masked key by key); row 1: one run per id (masked by runs).
    'segment ids that come back after another segment, and packed runs, not causal',
    {
      b: 2,
      hq: 2,
      hkv: 1,
      t: 7,
      s: 7,
      d: 4,
      causal: false,
      segments: [
        [0, 0, 1, 1, 0, 0, 2],
        [4, 4, 4, 9, 9, 1, 1],
      ],
    },
  ],
];

function inputs(c: Case, seed: number) {
  const q = randomArray(c.b * c.hq * c.t * c.d, seed, -2, 2);
  const k = randomArray(c.b * c.hkv * c.s * c.d, seed + 1, -2, 2);
  const v = randomArray(c.b * c.hkv * c.s * c.d, seed + 2);
  const list = [
    { data: q, shape: [c.b, c.hq, c.t, c.d] },
    { data: k, shape: [c.b, c.hkv, c.s, c.d] },
    { data: v, shape: [c.b, c.hkv, c.s, c.d] },
  ];
  const seg = c.segments ? [{ data: c.segments.flat(), shape: [c.b, c.s], dtype: 'int32' as const }] : [];
  return { q, k, v, list: [...list, ...seg] };
}

type HostInputs = Parameters<typeof runCpu>[1];
type HostOutput = Awaited<ReturnType<typeof runCpu>>[number];

/** attentionGrad on cpu for the q, k, v (and segment ids) of `list`, given dOut and the forward's out and lse. */
function runGrad(dOut: Float32Array, list: HostInputs, out: HostOutput, lse: HostOutput, attrs: KernelAttrs) {
  return runCpu(
    'attentionGrad',
    [
      { data: dOut, shape: out.shape },
      ...list.slice(0, 3),
      { data: out.data, shape: out.shape },
      { data: lse.data, shape: lse.shape },
      ...list.slice(3),
    ],
    attrs,
  );
}

describe('cpu attention', () => {
  it("masks a packed row by its segments' runs with the products of the key-by-key masking", () => {
    const seg = Int32Array.from([9, 2, 2, 2, 7, 7, 5, 5, 5, 5]);
    const keys = seg.length;
    const runs = new SegmentRuns(keys);
    runs.find(seg, 0, 0.3);
    expect(runs.usable).toBe(true);
    expect([...runs.start]).toEqual([0, 1, 1, 1, 4, 4, 6, 6, 6, 6]);
    expect([...runs.end]).toEqual([1, 4, 4, 4, 6, 6, 10, 10, 10, 10]);
    const scores = randomArray(keys, 5, -3, 3);
    for (const scale of [0.3, 0.125]) {
      for (let query = 0; query < keys; query++) {
        for (const limit of [query + 1, keys]) {
          const byRuns = Float32Array.from(scores);
          const byKey = Float32Array.from(scores);
          runs.find(seg, 0, scale);
          expect(maskOtherSegments(byRuns, 0, limit, seg, 0, query, scale, runs)).toBe(scale);
          expect(maskOtherSegments(byKey, 0, limit, seg, 0, query, scale, null)).toBe(1);
          // What the row kernels then see: x * (returned scale), in float32.
          const seen = (row: Float32Array, factor: number) =>
            Array.from(row.subarray(0, limit), (x) => Math.fround(x * factor));
          expect(seen(byRuns, scale)).toEqual(seen(byKey, 1));
          if (runs.start[query]! >= 4) {
            // A window from key 4: the row holds keys [4, limit), masked alike.
            const windowed = Float32Array.from(scores.subarray(4));
            expect(maskOtherSegments(windowed, 0, limit, seg, 0, query, scale, runs, 4)).toBe(scale);
            expect([...windowed.subarray(0, limit - 4)]).toEqual([...byRuns.subarray(4, limit)]);
          }
        }
      }
    }
    // An id in two runs, or a scale that would turn -Infinity around: key by key.
    runs.find(Int32Array.from([1, 1, 2, 1]), 0, 0.5);
    expect(runs.usable).toBe(false);
    expect(() => maskOtherSegments(scores, 0, keys, seg, 0, 3, 0.5, runs, 2)).toThrow(/usable segment runs/);
    expect(runs.windowStart(0, keys, keys, 0)).toBe(0);
    runs.find(seg, 0, -0.5);
    expect(runs.usable).toBe(false);
    runs.find(seg, 0, 0);
    expect(runs.usable).toBe(false);
  });

  it("starts a block's key window at its queries' first segment start, rounded down to ATTENTION_KEY_WINDOW", () => {
    // Segments [0, 300), [300, 700), [700, 1000).
    const seg = Int32Array.from({ length: 1000 }, (_, j) => (j < 300 ? 1 : j < 700 ? 2 : 3));
    const runs = new SegmentRuns(1000);
    runs.find(seg, 0, 0.5);
    expect(runs.windowStart(300, 64, 1000, 0)).toBe(256);
    expect(runs.windowStart(256, 64, 1000, 0)).toBe(0); // a block holding the end of the first segment
    expect(runs.windowStart(960, 40, 1000, 0)).toBe(512);
    // rows of two heads (t = 1000): the second head's first rows pull the window back to 0
    expect(runs.windowStart(960, 64, 1000, 0)).toBe(0);
    // decoding one query at key 800 (queryOffset 800, t = 1)
    expect(runs.windowStart(0, 2, 1, 800)).toBe(512);
  });

  it("leaves a packed row's earlier segments out of a block's products: the result of each segment run alone", async () => {
    // Starts 0, 256, 576, 676: the second segment's window starts at its first key, the later ones' at 512.
    // 1024 keys: each block of 64 query rows lies in one head, as in the segments run alone.
    const lengths = [256, 320, 100, 348];
    const s = lengths.reduce((a, b) => a + b, 0);
    const segments = [lengths.flatMap((n, id) => new Array<number>(n).fill(id))];
    const c: Case = { b: 1, hq: 4, hkv: 2, t: s, s, d: 16, causal: true, segments };
    expect(ATTENTION_KEY_WINDOW).toBe(256);
    const scale = 0.25;
    const { q, k, v, list } = inputs(c, 31);
    const attrs = { scale, causal: true };
    const [out, lse] = await runCpu('attention', list, attrs);
    const ref = naiveAttention(c, q, k, v, scale);
    expectClose(out.data, ref.out, 1e-5, 1e-4);
    expectClose(lse.data, ref.lse, 1e-5, 1e-5);
    const dOut = randomArray(out.data.length, 37);
    const [dq, dk, dv] = await runGrad(dOut, list, out, lse, attrs);
    // [h, s, d] rows [from, from + n) of each head, as a [1, h, n, d] input.
    const slice = (x: ArrayLike<number>, heads: number, from: number, n: number, d: number) => {
      const y = new Float32Array(heads * n * d);
      for (let h = 0; h < heads; h++) for (let i = 0; i < n * d; i++) y[h * n * d + i] = x[(h * s + from) * d + i]!;
      return y;
    };
    let from = 0;
    for (const [id, n] of lengths.entries()) {
      const part = (x: ArrayLike<number>, heads: number, d = c.d) => slice(x, heads, from, n, d);
      const alone = [
        { data: part(q, c.hq), shape: [1, c.hq, n, c.d] },
        { data: part(k, c.hkv), shape: [1, c.hkv, n, c.d] },
        { data: part(v, c.hkv), shape: [1, c.hkv, n, c.d] },
      ];
      const [aloneOut, aloneLse] = await runCpu('attention', alone, attrs);
      const [aloneDq, aloneDk, aloneDv] = await runGrad(part(dOut, c.hq), alone, aloneOut, aloneLse, attrs);
      const pairs = [
        [part(out.data, c.hq), aloneOut.data],
        [part(lse.data, c.hq, 1), aloneLse.data],
        [part(dq.data, c.hq), aloneDq.data],
        [part(dk.data, c.hkv), aloneDk.data],
        [part(dv.data, c.hkv), aloneDv.data],
      ] as const;
      for (const [packed, single] of pairs) {
        // A segment starting on a window boundary runs the very products it runs alone.
        if (from % ATTENTION_KEY_WINDOW === 0) expect([...packed], `segment ${id}`).toEqual([...single]);
        else expectClose(packed, single, 1e-6, 1e-5);
      }
      from += n;
    }
  });

  it('computes the blocks of several batch rows and KV heads together, bit for bit as one at a time', async () => {
    // Row 0 left-padded (its keys start at 40), row 1 packed with a segment starting past the
    // first key window (its later blocks start their window at 256, the other rows' at 0), row 2
    // one segment: some blocks share one product across rows, others cannot.
    const s = 300;
    const segments = [
      Array.from({ length: s }, (_, j) => (j < 40 ? 0 : 1)),
      Array.from({ length: s }, (_, j) => (j < 260 ? 2 : 3)),
      new Array<number>(s).fill(7),
    ];
    const c: Case = { b: 3, hq: 4, hkv: 2, t: s, s, d: 8, causal: true, segments };
    const { list } = inputs(c, 41);
    const attrs = { scale: 0.3, causal: true };
    const dOut = randomArray(c.b * c.hq * c.t * c.d, 43);
    const run = async () => {
      const [out, lse] = await runCpu('attention', list, attrs);
      const grads = await runGrad(dOut, list, out, lse, attrs);
      return [out, lse, ...grads].map((x) => [...x.data]);
    };
    const saved = attentionScratch.floats;
    try {
      const callsBefore = nativeGemmCallCount();
      const together = await run();
      const callsTogether = nativeGemmCallCount() - callsBefore;
      attentionScratch.floats = 1; // one item per product: the blocks one at a time
      const alone = await run();
      const callsAlone = nativeGemmCallCount() - callsBefore - callsTogether;
      // With the native GEMM, fewer calls: the products were batched.
      if (nativeGemmStatus().available) expect(callsTogether).toBeLessThan(callsAlone / 2);
      attentionScratch.floats = 2 * 64 * s * 2; // two items per product: a group split in parts
      const pairs = await run();
      for (const [i, name] of ['out', 'lse', 'dq', 'dk', 'dv'].entries()) {
        expect(together[i], name).toEqual(alone[i]);
        expect(pairs[i], name).toEqual(alone[i]);
      }
    } finally {
      attentionScratch.floats = saved;
    }
  });

  for (const [name, c] of CASES) {
    it(`matches naive softmax(QK^T)V: ${name}`, async () => {
      const scale = 1 / Math.sqrt(c.d);
      const { q, k, v, list } = inputs(c, 3);
      const [out, lse] = await runCpu('attention', list, { scale, causal: c.causal, queryOffset: c.queryOffset });
      const ref = naiveAttention(c, q, k, v, scale);
      expect(out.shape).toEqual([c.b, c.hq, c.t, c.d]);
      expect(lse.shape).toEqual([c.b, c.hq, c.t]);
      expectClose(out.data, ref.out, 1e-5, 1e-4);
      expectClose(lse.data, ref.lse, 1e-5, 1e-5);
      if (c.segments) {
        // A negative scale takes the key-by-key masking.
        const [neg] = await runCpu('attention', list, { scale: -0.4, causal: c.causal, queryOffset: c.queryOffset });
        expectClose(neg.data, naiveAttention(c, q, k, v, -0.4).out, 1e-5, 1e-4);
      }
    });

    it(`backward matches finite differences of sum(dOut * out): ${name}`, async () => {
      const scale = 0.7;
      const { q, k, v, list } = inputs(c, 9);
      const attrs = { scale, causal: c.causal, queryOffset: c.queryOffset };
      const [out, lse] = await runCpu('attention', list, attrs);
      const dOut = randomArray(out.data.length, 17);
      const [dq, dk, dv] = await runGrad(dOut, list, out, lse, attrs);
      const objective = (qq: Float32Array, kk: Float32Array, vv: Float32Array) => {
        const r = naiveAttention(c, qq, kk, vv, scale).out;
        let s = 0;
        for (let i = 0; i < r.length; i++) s += r[i] * dOut[i];
        return s;
      };
      // Central differences in float64 through the naive reference, on a sample of coordinates.
      const check = (which: 0 | 1 | 2, grad: Float32Array | Int32Array) => {
        const base = [q, k, v][which];
        const step = Math.max(1, Math.floor(base.length / 12));
        for (let i = 0; i < base.length; i += step) {
          const plus = [q, k, v].map((x) => Float64Array.from(x));
          const minus = [q, k, v].map((x) => Float64Array.from(x));
          plus[which][i] += 1e-4;
          minus[which][i] -= 1e-4;
          const f = (arr: Float64Array[]) =>
            objective(
              arr[0] as unknown as Float32Array,
              arr[1] as unknown as Float32Array,
              arr[2] as unknown as Float32Array,
            );
          const numeric = (f(plus) - f(minus)) / 2e-4;
          expect(Math.abs(grad[i] - numeric)).toBeLessThan(1e-3 + 1e-3 * Math.abs(numeric));
        }
      };
      check(0, dq.data);
      check(1, dk.data);
      check(2, dv.data);
    });
  }

  it.skipIf(nativeGemmStatus().available !== true)(
    "decoding's products run on the native matrix-vector kernel, close to the WebAssembly GEMM's",
    async () => {
      const c: Case = { b: 1, hq: 4, hkv: 2, t: 1, s: 50, d: 64, causal: true };
      const { list } = inputs(c, 21);
      const attrs = { scale: 0.125, causal: true };
      const before = nativeGemvCallCount();
      const native = await runCpu('attention', list, attrs);
      // Two products (scores, then outputs) per KV head.
      expect(nativeGemvCallCount() - before).toBe(2 * c.hkv);
      const wasm = await createCpuBackend({ gemm: 'wasm' });
      const viaGemm = await runCpu('attention', list, attrs, wasm);
      expect(nativeGemvCallCount() - before).toBe(2 * c.hkv);
      expectClose(native[0]!.data, viaGemm[0]!.data, 1e-6, 1e-5);
      expectClose(native[1]!.data, viaGemm[1]!.data, 1e-6, 1e-6);
      wasm.dispose();
    },
  );

  it('handles size-0 batches and key sets, and rejects bad shapes', async () => {
    const [out] = await runCpu(
      'attention',
      [
        { data: [], shape: [0, 2, 3, 4] },
        { data: [], shape: [0, 1, 3, 4] },
        { data: [], shape: [0, 1, 3, 4] },
      ],
      { scale: 1, causal: true },
    );
    expect(out.shape).toEqual([0, 2, 3, 4]);
    await expect(
      runCpu(
        'attention',
        [
          { data: new Float32Array(24), shape: [1, 3, 2, 4] },
          { data: new Float32Array(16), shape: [1, 2, 2, 4] },
          { data: new Float32Array(16), shape: [1, 2, 2, 4] },
        ],
        { scale: 1, causal: true },
      ),
    ).rejects.toThrow('attention: query heads 3 are not a multiple of key/value heads 2');
  });
});

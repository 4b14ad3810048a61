/**
 * WebGPU-specific checks against the cpu reference: the paths the shared
 * conformance suite does not reach (both matmul kernels and every tile
 * variant, 151,936-wide rows, long reductions, fault reporting, the buffer
 * pool and batching). Skips where the machine has no WebGPU adapter.
 */
import { mulberry32 } from '@molrl/seeded-random';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, KernelAttrs, TensorInfo } from '../backend.js';
import { createCpuBackend } from '../cpu/index.js';
import type { DType } from '../dtype.js';
import { probeWebgpu } from './probe.js';
import { runByName } from '../run-by-name.js';
import { attr } from '../contract/attr-types.js';
import { defineKernel } from '../contract/kernel-contract.js';
import { conformanceOf } from '../conformance/types.js';
import { runConformance } from '../conformance/runner.js';
import { EXACT } from '../conformance/tolerances.js';
import { implement, registerKernels } from '../registry.js';
import { sizeOf } from '../shape.js';
import type { WebgpuBackend } from './backend.js';
import { buf, gpu as asGpu, output, WG } from './kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from './program.js';
import { shaderTemplate } from './shader.js';

interface In {
  data: ArrayLike<number>;
  shape: number[];
  dtype?: DType;
}

const probe = await probeWebgpu();
if (!probe.available) console.warn(`webgpu tests skipped: ${probe.reason}`);

function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

// lavapipe shares the CPU with everything else: generous timeouts, no timing assertions.
describe.skipIf(!probe.available)('webgpu kernels against cpu', { timeout: 240_000 }, () => {
  let gpu: WebgpuBackend;
  let cpu: Backend;
  // The two matmul kernels by themselves (what the contract's matmul chooses between).
  let matmulTiled: typeof import('./index.js').matmulTiled;
  let matmulRegblock: typeof import('./index.js').matmulRegblock;
  beforeAll(async () => {
    const webgpu = await import('./index.js');
    ({ matmulTiled, matmulRegblock } = webgpu);
    gpu = await webgpu.createWebgpuBackend();
    cpu = await createCpuBackend();
  });
  afterAll(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  async function runOn(
    b: Backend,
    name: string,
    inputs: In[],
    attrs: KernelAttrs,
  ): Promise<{ data: Float32Array | Int32Array; shape: number[] }[]> {
    const infos: TensorInfo[] = inputs.map(({ data, shape, dtype = 'float32' }) => ({
      storage: b.upload(dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data), dtype),
      shape,
      dtype,
    }));
    const outs =
      name === 'matmulTiled' || name === 'matmulRegblock'
        ? [(name === 'matmulTiled' ? matmulTiled : matmulRegblock)(b as WebgpuBackend, infos[0]!, infos[1]!, attrs)]
        : runByName(b, name, infos, attrs);
    const targets = outs.length > 0 ? outs : infos; // in-place kernels: compare the updated inputs
    const res = [];
    for (const o of targets) res.push({ data: await b.read(o.storage), shape: [...o.shape] });
    for (const o of outs) b.release(o.storage);
    for (const i of infos) b.release(i.storage);
    return res;
  }

  async function same(name: string, inputs: In[], attrs: KernelAttrs = {}, tol = 1e-5): Promise<void> {
    const want = await runOn(cpu, name, inputs, attrs);
    const got = await runOn(gpu, name, inputs, attrs);
    expect(got.length).toBe(want.length);
    got.forEach((g, k) => {
      const w = want[k]!;
      expect(g.shape, `${name} output ${k} shape`).toEqual(w.shape);
      expect(g.data.constructor, `${name} output ${k} type`).toBe(w.data.constructor);
      let worst = 0;
      let at = -1;
      for (let i = 0; i < w.data.length; i++) {
        const a = g.data[i]!;
        const b = w.data[i]!;
        if (Number.isNaN(b) || Number.isNaN(a)) {
          if (Number.isNaN(a) !== Number.isNaN(b)) {
            worst = Infinity;
            at = i;
            break;
          }
          continue;
        }
        if (a === b) continue;
        const err = Math.abs(a - b) / (1 + Math.abs(b));
        if (!(err <= worst)) {
          worst = err;
          at = i;
        }
      }
      expect(worst, `${name} output ${k}: worst at ${at}: got ${g.data[at]} want ${w.data[at]}`).toBeLessThanOrEqual(
        tol,
      );
    });
  }

  it('elementwise ops broadcast like the cpu', async () => {
    const a = { data: randn(60, 1, 3), shape: [3, 1, 4, 5] };
    const b = { data: randn(30, 2, 3), shape: [6, 1, 5] };
    for (const op of [
      'add',
      'sub',
      'mul',
      'div',
      'maximum',
      'minimum',
      'equal',
      'notEqual',
      'greater',
      'greaterEqual',
      'less',
      'lessEqual',
    ]) {
      await same(op, [a, b]);
    }
    await same('pow', [
      { data: [-2, -2, 0, 0, 3, 2.5, -1.5], shape: [7] },
      { data: [3, 2, -1, 2, 0.5, 1.7, 2], shape: [7] },
    ]);
    const x = { data: [...randn(40, 3, 4), 0, -0.5, 30, -30, 100, -100], shape: [46] };
    for (const op of [
      'neg',
      'abs',
      'exp',
      'log',
      'sqrt',
      'rsqrt',
      'square',
      'reciprocal',
      'silu',
      'sigmoid',
      'tanh',
      'relu',
      'isNaN',
      'isInf',
    ]) {
      await same(op, [x], {}, 2e-5);
    }
    await same('scalarOp', [x], { op: 'sub', scalar: 1.5, reverse: true });
    await same('scalarOp', [x], { op: 'mul', scalar: -3 });
    await same('siluGrad', [{ data: randn(46, 4), shape: [46] }, x], {}, 2e-5);
    await same('where', [
      { data: [1, 0, 1], shape: [3, 1] },
      { data: randn(12, 5), shape: [3, 4] },
      { data: [7], shape: [1] },
    ]);
  });

  it('matmul: both kernels, every tile, transposes and batch broadcasting', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[2, 1, 37, 19], [3, 19, 45], false, false],
      [[70, 33], [70, 129], true, false],
      [[4, 2, 65, 48], [4, 2, 100, 48], false, true],
      [[1, 1], [1, 1], true, true],
      [[5, 0], [0, 7], false, false],
    ];
    for (const [sa, sb, tA, tB] of cases) {
      const A = {
        data: randn(
          sa.reduce((x, y) => x * y, 1),
          6,
        ),
        shape: sa,
      };
      const B = {
        data: randn(
          sb.reduce((x, y) => x * y, 1),
          7,
        ),
        shape: sb,
      };
      for (const k of ['matmul', 'matmulTiled', 'matmulRegblock']) {
        const want = await runOn(cpu, 'matmul', [A, B], { transposeA: tA, transposeB: tB });
        const got = await runOn(gpu, k, [A, B], { transposeA: tA, transposeB: tB });
        expect(got[0]!.shape).toEqual(want[0]!.shape);
        const w = want[0]!.data;
        const g = got[0]!.data;
        for (let i = 0; i < w.length; i++)
          expect(Math.abs(g[i]! - w[i]!), `${k} ${sa}x${sb} at ${i}`).toBeLessThan(1e-4);
      }
    }
    // the 128x128 tile with ragged edges, plain and transposed
    const A = { data: randn(300 * 129, 8), shape: [300, 129] };
    const B = { data: randn(129 * 260, 9), shape: [129, 260] };
    const want = await runOn(cpu, 'matmul', [A, B], {});
    for (const tile of [
      { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 },
      { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 },
      { bm: 128, bn: 64, bk: 16, tm: 8, tn: 4 },
    ]) {
      const got = await runOn(gpu, 'matmulRegblock', [A, B], { tile });
      let worst = 0;
      for (let i = 0; i < want[0]!.data.length; i++)
        worst = Math.max(worst, Math.abs(got[0]!.data[i]! - want[0]!.data[i]!));
      expect(worst, JSON.stringify(tile)).toBeLessThan(1e-4);
    }
    // K split over workgroups (ragged last slice) and the launch order, with and without grouping.
    for (const options of [{ splitK: 3 }, { splitK: 5, group: 1 }, { group: 3 }, { group: 1 }, { splitK: 200 }]) {
      const got = await runOn(gpu, 'matmulRegblock', [A, B], options);
      let worst = 0;
      for (let i = 0; i < want[0]!.data.length; i++)
        worst = Math.max(worst, Math.abs(got[0]!.data[i]! - want[0]!.data[i]!));
      expect(worst, JSON.stringify(options)).toBeLessThan(1e-4);
    }
    const bat = { data: randn(3 * 40 * 70, 10), shape: [3, 40, 70] };
    const wt = { data: randn(70 * 36, 11), shape: [36, 70] };
    const wantBat = await runOn(cpu, 'matmul', [bat, wt], { transposeB: true });
    const gotBat = await runOn(gpu, 'matmulRegblock', [bat, wt], { transposeB: true, splitK: 4 });
    for (let i = 0; i < wantBat[0]!.data.length; i++)
      expect(Math.abs(gotBat[0]!.data[i]! - wantBat[0]!.data[i]!), `batched split at ${i}`).toBeLessThan(1e-4);
    const { chooseSplitK, TILE_64 } = await import('./index.js');
    expect(chooseSplitK(40, 36, 1030, 1, TILE_64)).toBe(4); // one tile, K long enough for 4 slices of >= 256
    expect(chooseSplitK(4096, 4096, 4096, 1, TILE_64)).toBe(1); // fills the device without splitting
  });

  it('matmul reads bfloat16 and float16 operands as stored: no widened copy, every kernel shape', async () => {
    const { createWebgpuBackend } = await import('./index.js');
    const packed = await createWebgpuBackend({ shaderF16: false });
    try {
      expect(packed.nativeF16).toBe(false);
      // [a shape, b shape, tA, tB]: a GEMV (3 rows), tiled (20 x 16), register-blocked (64 x 96), GEMV by columns.
      const shapes: [number[], number[], boolean, boolean][] = [
        [[3, 64], [40, 64], false, true],
        [[20, 24], [16, 24], false, true],
        [[64, 48], [48, 96], false, false],
        [[2, 36], [36, 72], false, false],
      ];
      for (const backend of [gpu, packed]) {
        for (const dtype of ['bfloat16', 'float16'] as const) {
          for (const [sa, sb, tA, tB] of shapes) {
            const A = { data: randn(sizeOf(sa), 80), shape: sa, dtype };
            const B = { data: randn(sizeOf(sb), 81), shape: sb, dtype };
            const want = await runOn(cpu, 'matmul', [A, B], { transposeA: tA, transposeB: tB });
            const a = backend.upload(Float32Array.from(A.data), dtype);
            const b = backend.upload(Float32Array.from(B.data), dtype);
            await backend.sync();
            backend.resetPeak();
            const before = backend.memory().bytesInUse;
            const [out] = backend.run(
              'matmul',
              [
                { storage: a, shape: sa, dtype },
                { storage: b, shape: sb, dtype },
              ],
              { transposeA: tA, transposeB: tB },
            );
            // Only the float32 output was allocated: the halves were never widened into a copy.
            expect(backend.memory().peakBytes - before, `${dtype} ${sa} x ${sb}`).toBe(sizeOf(out!.shape) * 4);
            const got = await backend.read(out!.storage);
            const w = want[0]!.data;
            for (let i = 0; i < w.length; i++)
              expect(Math.abs(got[i]! - w[i]!), `${dtype} ${sa} x ${sb} at ${i}`).toBeLessThan(1e-4);
            for (const s of [a, b, out!.storage]) backend.release(s);
          }
        }
      }
    } finally {
      await packed.dispose();
    }
  });

  it('loraLinear: decoding rows in two dispatches (the GEMV adds the low-rank term), more rows in three', async () => {
    const counted = (fn: () => void): number => {
      const dispatch = gpu.dispatch.bind(gpu);
      let calls = 0;
      gpu.dispatch = (d) => {
        calls++;
        dispatch(d);
      };
      try {
        fn();
      } finally {
        gpu.dispatch = dispatch;
      }
      return calls;
    };
    // [rows, N, K, R, weight dtype, dispatches]: x A^T and the GEMV; x A^T, the matmul, the low-rank pass.
    for (const [m, n, k, r, dtype, dispatches] of [
      [1, 300, 256, 16, 'bfloat16', 2],
      [8, 130, 72, 8, 'float32', 2],
      [40, 96, 64, 4, 'float16', 3],
    ] as const) {
      const inputs: In[] = [
        { data: randn(m * k, 90), shape: [m, k] },
        { data: randn(n * k, 91), shape: [n, k], dtype },
        { data: randn(r * k, 92), shape: [r, k] },
        { data: randn(n * r, 93), shape: [n, r] },
      ];
      await same('loraLinear', inputs, { scaling: 2 }, 1e-4);
      const infos = inputs.map(({ data, shape, dtype: d = 'float32' }) => ({
        storage: gpu.upload(Float32Array.from(data), d),
        shape,
        dtype: d,
      }));
      let out: TensorInfo | undefined;
      expect(
        counted(() => ([out] = gpu.run('loraLinear', infos, { scaling: 2 }))),
        `${m} rows`,
      ).toBe(dispatches);
      for (const s of [...infos.map((i) => i.storage), out!.storage]) gpu.release(s);
    }
  });

  it('reductions, argmax and the softmax family over a 151,936-wide row', async () => {
    const x = { data: randn(2 * 3 * 4 * 5, 10, 5), shape: [2, 3, 4, 5] };
    for (const axes of [[], [0], [1, 3], [-1], [0, 1, 2, 3]]) {
      for (const op of ['sum', 'mean', 'max']) {
        await same(op, [x], { axes, keepDims: false });
        await same(op, [x], { axes, keepDims: true });
      }
    }
    await same('argmax', [{ data: [1, 3, 3, 2, -1, -5, -1, -2], shape: [2, 4] }], { axis: 1 });
    await same('argmax', [x], { axis: 0 });
    const long = { data: randn(100_003, 11, 2), shape: [100_003] };
    await same('sum', [long], { axes: [0] }, 1e-4);
    await same('max', [long], { axes: [0] });
    const V = 151_936;
    const logits = { data: randn(2 * V, 12, 8), shape: [2, V] };
    for (const op of ['softmax', 'logSoftmax']) await same(op, [logits], { axis: -1 }, 1e-5);
    await same('logSumExp', [logits], { axis: 1, keepDims: true }, 1e-5);
    const small = { data: randn(3 * 7 * 2, 13, 3), shape: [3, 7, 2] };
    const dy = { data: randn(3 * 7 * 2, 14), shape: [3, 7, 2] };
    for (const op of ['softmax', 'logSoftmax']) await same(op, [small], { axis: 1 });
    await same('logSumExp', [small], { axis: 0 });
    await same('softmaxGrad', [dy, small], { axis: 1 });
    await same('logSoftmaxGrad', [dy, small], { axis: -1 });
  });

  it('rmsNorm, rope, attention and their gradients', async () => {
    const x = { data: randn(6 * 40, 20), shape: [2, 3, 40] };
    const w = { data: randn(40, 21), shape: [40] };
    const dy = { data: randn(6 * 40, 22), shape: [2, 3, 40] };
    await same('rmsNorm', [x, w], { eps: 1e-6 }, 1e-5);
    await same('rmsNormGrad', [dy, x, w], { eps: 1e-6 }, 1e-4);
    const q = { data: randn(2 * 4 * 5 * 8, 23), shape: [2, 4, 5, 8] };
    const pos = { data: [0, 1, 2, 3, 4, 100, 1000, 2047, 4095, 7], shape: [2, 5], dtype: 'int32' as const };
    await same('rope', [q, pos], { theta: 1e6 }, 2e-5);
    await same('rope', [q, pos], { theta: 10000, inverse: true }, 2e-5);
    const k = { data: randn(2 * 2 * 7 * 8, 24), shape: [2, 2, 7, 8] };
    const v = { data: randn(2 * 2 * 7 * 8, 25), shape: [2, 2, 7, 8] };
    const seg = { data: [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2], shape: [2, 7], dtype: 'int32' as const };
    const dOut = { data: randn(2 * 4 * 5 * 8, 26), shape: [2, 4, 5, 8] };
    for (const [attrs, segIn] of [
      [{ scale: 0.35, causal: true }, undefined],
      [{ scale: 0.35, causal: false }, undefined],
      [{ scale: 0.35, causal: true, queryOffset: 2 }, seg],
    ] as const) {
      const extra = segIn ? [segIn] : [];
      await same('attention', [q, k, v, ...extra], attrs, 1e-5);
      const [out, lse] = await runOn(cpu, 'attention', [q, k, v, ...extra], attrs);
      await same(
        'attentionGrad',
        [dOut, q, k, v, { data: out!.data, shape: out!.shape }, { data: lse!.data, shape: lse!.shape }, ...extra],
        attrs,
        1e-4,
      );
    }
  });

  it('gather, scatter, take/put along axis, and out-of-range indices', async () => {
    const table = { data: randn(10 * 6, 30), shape: [10, 6] };
    const idx = { data: [3, 0, 9, 3, 3, 1], shape: [2, 3], dtype: 'int32' as const };
    await same('gatherRows', [table, idx]);
    await same('scatterAddRows', [{ data: randn(36, 31), shape: [2, 3, 6] }, idx], { numRows: 10 }, 1e-6);
    const logits = { data: randn(2 * 3 * 11, 32), shape: [2, 3, 11] };
    const tgt = { data: [0, 10, 5, 5, 3, 2], shape: [2, 3], dtype: 'int32' as const };
    await same('takeAlongAxis', [logits, tgt]);
    await same('putAlongAxis', [{ data: randn(6, 33), shape: [2, 3] }, tgt], { size: 11 });
    const bad = { data: [1, 10], shape: [2], dtype: 'int32' as const };
    await expect(runOn(gpu, 'gatherRows', [table, bad], {})).rejects.toThrow(/gatherRows.*out of range.*10/);
    // the backend stays usable after a fault
    await same('gatherRows', [table, idx]);
  });

  it('layout kernels, casts, fill, random and adamw', async () => {
    const x = { data: randn(2 * 3 * 4 * 5, 40), shape: [2, 3, 4, 5] };
    await same('transpose', [x], { perm: [3, 1, 0, 2] });
    await same('transpose', [{ data: [1, 2, 3, 4, 5, 6], shape: [2, 3], dtype: 'int32' as const }], { perm: [1, 0] });
    await same('slice', [x], { begin: [1, 0, 2, 1], size: [1, -1, 2, 3] });
    await same('sliceGrad', [{ data: randn(6, 41), shape: [1, 3, 2, 1] }], {
      begin: [1, 0, 2, 4],
      inputShape: [2, 3, 4, 5],
    });
    await same('concat', [x, { data: randn(2 * 3 * 2 * 5, 42), shape: [2, 3, 2, 5] }], { axis: 2 });
    const vals = { data: [1.5, -2.75, 65504, 1e-7, 3.3e38, -0, 70000, 123.456, 2 ** -20], shape: [9] };
    for (const dtype of ['float16', 'bfloat16', 'int32', 'float32'] as const) {
      const want = await cpu.read(
        cpu.run(
          'cast',
          [{ storage: cpu.upload(Float32Array.from(vals.data), 'float32'), shape: vals.shape, dtype: 'float32' }],
          { dtype },
        )[0]!.storage,
      );
      const s = gpu.upload(Float32Array.from(vals.data), 'float32');
      const out = gpu.run('cast', [{ storage: s, shape: vals.shape, dtype: 'float32' }], { dtype })[0]!;
      expect(Array.from(await gpu.read(out.storage)), dtype).toEqual(Array.from(want));
      const raw = await gpu.readRaw(out.storage);
      expect(raw.length).toBe(9);
      const back = gpu.run('cast', [out], { dtype: 'float32' })[0]!;
      expect(Array.from(await gpu.read(back.storage)), `${dtype} -> float32`).toEqual(
        Array.from(Float32Array.from(want)),
      );
    }
    const h = gpu.upload(Float32Array.from([1, 2, 3]), 'bfloat16');
    expect(
      Array.from(await gpu.read(gpu.run('copy', [{ storage: h, shape: [3], dtype: 'bfloat16' }])[0]!.storage)),
    ).toEqual([1, 2, 3]);
    await same('fill', [], { shape: [3, 5], value: 2.5 });
    await same('fill', [], { shape: [7], value: -3, dtype: 'int32' });
    expect(
      Array.from(await gpu.read(gpu.run('fill', [], { shape: [3], value: 0.1, dtype: 'float16' })[0]!.storage)),
    ).toEqual(
      Array.from(await cpu.read(cpu.run('fill', [], { shape: [3], value: 0.1, dtype: 'float16' })[0]!.storage)),
    );
    await same('randomUniform', [], { shape: [1001], seed: 2 ** 40 + 5, low: -2, high: 3 }, 0);
    await same('randomNormal', [], { shape: [3, 333], seed: 17, mean: 1, std: 2 }, 2e-5);
    const n = 1000;
    await same(
      'adamw',
      [
        { data: randn(n, 50), shape: [n] },
        { data: randn(n, 51), shape: [n] },
        { data: randn(n, 52, 0.1), shape: [n] },
        { data: randn(n, 53, 0.01).map(Math.abs), shape: [n] },
      ],
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 3 },
      1e-6,
    );
  });

  it('pools buffers, batches dispatches and accounts memory', async () => {
    const before = gpu.memory();
    const s = gpu.alloc(1000, 'float32');
    expect(gpu.memory().bytesInUse - before.bytesInUse).toBe(4000);
    expect(Array.from(await gpu.read(s)).every((v) => v === 0)).toBe(true);
    gpu.release(s);
    expect(() => gpu.release(s)).toThrow(/already released/);
    // 300 dispatches in a row (more than one submission) give the right chain
    let cur: TensorInfo = { storage: gpu.upload(new Float32Array([1]), 'float32'), shape: [1], dtype: 'float32' };
    for (let i = 0; i < 300; i++) {
      const next = gpu.run('scalarOp', [cur], { op: 'add', scalar: 1 })[0]!;
      gpu.release(cur.storage);
      cur = next;
    }
    expect(Array.from(await gpu.read(cur.storage))).toEqual([301]);
    gpu.release(cur.storage);
    // a reused (pooled) buffer comes back zeroed through alloc
    const dirty = gpu.upload(
      Float32Array.from({ length: 1000 }, () => 7),
      'float32',
    );
    gpu.release(dirty);
    await gpu.sync();
    const clean = gpu.alloc(1000, 'float32');
    expect(Array.from(await gpu.read(clean)).every((v) => v === 0)).toBe(true);
    gpu.release(clean);
    const m = gpu.memory();
    expect(m.bytesInUse).toBe(before.bytesInUse);
    expect(m.pooledBytes).toBeGreaterThan(0);
    expect(m.peakBytes).toBeGreaterThanOrEqual(4000);
  });

  it('refuses, at the dispatch, a storage larger than the adapter can bind, naming the shader and the limit', async () => {
    const limit = gpu.device.limits.maxStorageBufferBindingSize;
    const n = Math.floor(limit / 4) + 1024;
    if (n * 4 > gpu.device.limits.maxBufferSize) return; // the storage itself cannot exist here
    const big = gpu.alloc(n, 'float32');
    try {
      expect(() =>
        runByName(gpu, 'cast', [{ storage: big, shape: [n], dtype: 'float32' }], { dtype: 'bfloat16' }),
      ).toThrow(
        new RegExp(
          `webgpu.dispatch: shader '\\w+' binds a buffer of \\d+ bytes .* maxStorageBufferBindingSize of ${limit} bytes`,
        ),
      );
    } finally {
      gpu.release(big);
    }
    // The device is still usable afterwards.
    const x = gpu.upload(Float32Array.from([1, 2]), 'float32');
    expect(Array.from(await gpu.read(x))).toEqual([1, 2]);
    gpu.release(x);
  });

  it('refuses impossible storages at once and reports a lost device', async () => {
    expect(() => gpu.alloc(2 ** 40, 'float32')).toThrow(/exceeds this adapter's maxBufferSize/);
    const { createWebgpuBackend } = await import('./index.js');
    const other = await createWebgpuBackend();
    other.device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => other.upload(new Float32Array(4), 'float32')).toThrow(/device was lost/);
    await other.dispose();
  });
  it('caches pipelines by template parameters: one per layout, not one per shape', async () => {
    const pipelines = () => gpu.memory().pipelines!;
    const run = async (shape: number[], other: number[]) => {
      const [out] = await runOn(
        gpu,
        'sub',
        [
          { data: randn(sizeOf(shape), 70), shape },
          { data: randn(sizeOf(other), 71), shape: other },
        ],
        {},
      );
      return out!;
    };
    await run([7, 3], [7, 3]);
    const after = pipelines();
    await run([33], [33]);
    await run([2, 2, 2], [2, 2, 2]);
    expect(pipelines()).toBe(after); // same layout (every input read at i): the same pipeline
    await run([4, 5], [5]);
    expect(pipelines()).toBe(after + 1); // a broadcast input: a new layout
  });

  it('a step that repeats the last one reuses its bind groups, with its own values', async () => {
    const { createWebgpuBackend } = await import('./index.js');
    const own = await createWebgpuBackend();
    try {
      const info = (data: number[]): TensorInfo => ({
        storage: own.upload(Float32Array.from(data), 'float32'),
        shape: [data.length],
        dtype: 'float32',
      });
      const a = info([1, 2, 3]);
      const step = async (scale: number) => {
        // Two kernels (one with uniforms), then the step's read, as a decoding step ends.
        const b = info([scale, scale, scale]);
        const [sum] = runByName(own, 'add', [a, b], {});
        const [scaled] = runByName(own, 'scalarOp', [sum!], { op: 'mul', scalar: 2 });
        const values = Array.from(await own.read(scaled!.storage));
        for (const t of [b, sum!, scaled!]) own.release(t.storage);
        return values;
      };
      // A step's buffers are released after its read, so they come back one step later: the steps
      // alternate between two sets of buffers, each set's bind groups made once.
      expect(await step(1)).toEqual([4, 6, 8]);
      expect(await step(10)).toEqual([22, 24, 26]);
      const warm = own.memory();
      expect(warm.bindGroupMisses).toBe(4);
      expect(await step(100)).toEqual([202, 204, 206]);
      expect(await step(1000)).toEqual([2002, 2004, 2006]);
      const later = own.memory();
      // The later steps bind the same pooled buffers at the same uniform slots: no new bind group.
      expect(later.bindGroupMisses).toBe(warm.bindGroupMisses);
      expect(later.bindGroupHits! - warm.bindGroupHits!).toBe(4);
      own.release(a.storage);
    } finally {
      await own.dispose();
    }
  });

  it('rejects a template whose WGSL depends on something outside its parameters (verifyShaderKeys)', async () => {
    const { createWebgpuBackend } = await import('./index.js');
    const strict = await createWebgpuBackend({ verifyShaderKeys: true });
    let hidden = 1;
    const leaky = shaderTemplate('webgpuTestLeaky', () => ({
      uniforms: [['n', 'u32']],
      code: `@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(1) fn main() { if (u.n > 0u) { O[0] = ${hidden}.0; } }`,
    }));
    const out = strict.createStorage(1, 'float32');
    strict.dispatch({ shader: leaky, params: {}, uniforms: { n: 1 }, buffers: [out.buffer], workgroups: [1, 1, 1] });
    hidden = 2;
    expect(() =>
      strict.dispatch({ shader: leaky, params: {}, uniforms: { n: 1 }, buffers: [out.buffer], workgroups: [1, 1, 1] }),
    ).toThrow(/template 'webgpuTestLeaky' built different WGSL for the same key/);
    hidden = 1;
    expect(() =>
      strict.dispatch({ shader: leaky, params: {}, uniforms: { m: 1 }, buffers: [out.buffer], workgroups: [1, 1, 1] }),
    ).toThrow(/uniforms do not match its layout \(missing: n; unknown: m\)/);
    strict.release(out);
    await strict.dispose();
  });

  it('zeroes dq of attentionGrad when there are no keys, even in a reused buffer', async () => {
    // Leave NaN in a pooled buffer of dq's bucket, so a dq that is never written shows it.
    const dirty = gpu.upload(new Float32Array(24).fill(NaN), 'float32');
    gpu.release(dirty);
    await gpu.sync();
    const q = { data: randn(24, 80), shape: [1, 2, 3, 4] };
    const empty = { data: [], shape: [1, 2, 0, 4] };
    const lse = { data: new Array(6).fill(-Infinity), shape: [1, 2, 3] };
    const [dq] = await runOn(
      gpu,
      'attentionGrad',
      [q, q, empty, empty, { data: new Array(24).fill(0), shape: [1, 2, 3, 4] }, lse],
      {
        scale: 0.5,
        causal: false,
      },
    );
    expect(Array.from(dq!.data)).toEqual(new Array(24).fill(0));
  });

  it('catches a shader that writes past the end of its output (guard regions)', async () => {
    const overrun = defineKernel({
      name: 'webgpuTestNegate',
      doc: '-x, written by a shader that also writes one element past the end',
      inputs: [{ name: 'x' }],
      attrs: { scale: attr.optional(attr.number) },
      outputs: [{ name: 'y' }],
    });
    const OVERRUN = shaderTemplate('webgpuTestOverrun', () => ({
      uniforms: [['n', 'u32']],
      code: `@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i < u.n) { O[i] = -X[i]; }
  if (i == u.n) { O[i] = 1.0; } // the planted bug: one write past the end
}`,
    }));
    registerKernels([
      implement(overrun, 'cpu', ({ inputs, backend }) => {
        const x = (backend as Backend & { readSync(s: unknown): Float32Array }).readSync(inputs[0].storage);
        return {
          storage: backend.upload(
            x.map((v) => -v),
            'float32',
          ),
          shape: inputs[0].shape,
          dtype: 'float32',
        };
      }),
      implement(overrun, 'webgpu', ({ inputs, backend }) => {
        const b = asGpu(backend);
        const out = output(b, inputs[0].shape);
        const n = sizeOf(inputs[0].shape);
        b.dispatch({
          shader: OVERRUN,
          params: {},
          uniforms: { n },
          buffers: [buf(inputs[0], 'webgpuTestNegate', 'x'), buf(out, 'webgpuTestNegate')],
          workgroups: grid(Math.ceil((n + 1) / WG)),
        });
        return out;
      }),
    ]);
    const results = await runConformance(gpu, cpu, {
      kernels: ['webgpuTestNegate'],
      conformance: [
        conformanceOf(overrun, { tolerance: EXACT, cases: [{ name: '[257]', inputs: [{ shape: [257] }] }] }),
      ],
    });
    expect(results.map((r) => [r.status, r.detail])).toEqual([
      [
        'fail',
        'a write out of bounds: output 0: 1 of 64 guard elements after the data were overwritten (the first, element 0 of the region, holds 0x3f800000)',
      ],
    ]);
  });
});

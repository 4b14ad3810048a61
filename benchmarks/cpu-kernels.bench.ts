/**
 * The non-GEMM kernels of a training step on the `cpu` backend, at the sizes
 * of the embedded tiny model and of a small real one: median milliseconds per
 * call (attention also as GFLOP/s of its matmul work, causal half counted).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/cpu-kernels.bench.ts [--quick] [--only <text>]
 *     [--baseline <checkout> [--baseline-label <name>] [--rounds 21]]
 *
 * --only <text>: only the cases whose name contains it (rows of the others are kept in the results).
 *
 * --baseline: also load the cpu backend of another checkout of this repository
 * (its packages/gpu-backend/src) and time every case on both, interleaved
 * round by round (so load on a shared machine hits both alike), in wall time
 * and in CPU time; rows of impl "cpu" and "cpu <label>" (units ms and cpu-ms)
 * go to results/cpu-kernels-baseline.json. A fused kernel (swiglu, the
 * softmax cross-entropy) is compared with the kernels it replaces: impl
 * "cpu composition" here, and on the baseline side of --baseline.
 */
import { Bench } from 'tinybench';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createBackend,
  runByName,
  type Backend,
  type DType,
  type KernelAttrs,
  type TensorInfo,
} from '@molrl/gpu-backend';
import { flagValue } from './lib/args.js';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';

const quick = process.argv.includes('--quick');
const baselineDir = flagValue('--baseline');
const only = flagValue('--only');
const cpu = await createBackend('cpu');

/** Host copies of every input, so a baseline backend can be given the same data. */
const hostData = new Map<TensorInfo, Float32Array | Int32Array>();

function input(shape: number[], dtype: DType = 'float32', high = 1): TensorInfo {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = 12345;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const data =
    dtype === 'int32'
      ? Int32Array.from({ length: n }, () => Math.floor(next() * high))
      : Float32Array.from({ length: n }, () => next() * 2 - 1);
  const info = { storage: cpu.upload(data, dtype), shape, dtype };
  hostData.set(info, data);
  return info;
}

interface Case {
  name: string;
  size: number;
  inputs: TensorInfo[];
  kernel: string;
  attrs?: KernelAttrs;
  /** Also time it on a cpu backend that does not use the native addon (impl "cpu without native addon"). */
  withoutNative?: boolean;
  /** Floating-point operations per call, when GFLOP/s is meaningful. */
  flops?: number;
  /**
   * For a fused kernel: the kernels it replaces, run on `backend` with its
   * own copies of the inputs; returns every tensor made (all are released).
   * Timed as impl "cpu composition", and on a baseline checkout instead of
   * the fused kernel, so an A/B shows what the fusion saves.
   */
  composition?: { inputs: TensorInfo[]; run: (backend: Backend, inputs: TensorInfo[]) => TensorInfo[] };
}

/** Run kernel `name` by name; one output. */
const run1 = (b: Backend, name: string, inputs: TensorInfo[], attrs?: KernelAttrs): TensorInfo =>
  runByName(b, name, inputs, attrs)[0]!;

const cases: Case[] = [];
for (const [t, h, hkv, d, b] of quick
  ? [[64, 4, 2, 32, 2]]
  : [
      [128, 4, 2, 32, 8],
      [256, 8, 2, 64, 4],
    ]) {
  const q = input([b, h, t, d]);
  const k = input([b, hkv, t, d]);
  const v = input([b, hkv, t, d]);
  const attrs = { scale: 1 / Math.sqrt(d), causal: true };
  const [out, lse] = cpu.run('attention', [q, k, v], attrs);
  // Two T x T x D products forward, four backward; causal masking halves them.
  const fwdFlops = 2 * 2 * b * h * t * t * d * 0.5;
  cases.push({
    name: `attention-fwd h${h}/${hkv} d${d} b${b}`,
    size: t,
    inputs: [q, k, v],
    kernel: 'attention',
    attrs,
    flops: fwdFlops,
  });
  cases.push({
    name: `attention-bwd h${h}/${hkv} d${d} b${b}`,
    size: t,
    inputs: [input([b, h, t, d]), q, k, v, out, lse],
    kernel: 'attentionGrad',
    attrs,
    flops: 2 * fwdFlops,
  });
  const positions = input([b, t], 'int32', t);
  cases.push({
    name: `rope h${h} d${d} b${b}`,
    size: t,
    inputs: [q, positions],
    kernel: 'rope',
    attrs: { theta: 1e6 },
  });
  // Qwen3's q/k norm and rotary embedding fused, against rmsNorm, the transpose to [b, h, t, d] and rope.
  const qRows = input([b, t, h, d]);
  const qNorm = input([d]);
  const normRope = { eps: 1e-6, theta: 1e6 };
  cases.push({
    name: `rmsNormRope h${h} d${d} b${b}`,
    size: t,
    inputs: [qRows, qNorm, positions],
    kernel: 'rmsNormRope',
    attrs: normRope,
    withoutNative: true,
    composition: {
      inputs: [qRows, qNorm, positions],
      run: (be, [xi, wi, pi]) => {
        const normed = run1(be, 'rmsNorm', [xi!, wi!], { eps: normRope.eps });
        const moved = run1(be, 'transpose', [normed], { perm: [0, 2, 1, 3] });
        return [normed, moved, run1(be, 'rope', [moved, pi!], { theta: normRope.theta })];
      },
    },
  });
  cases.push({
    name: `rmsNormRopeGrad h${h} d${d} b${b}`,
    size: t,
    inputs: [q, qRows, qNorm, positions],
    kernel: 'rmsNormRopeGrad',
    attrs: normRope,
    withoutNative: true,
  });
}
// A packed row (MoL training on packed traces): causal attention within each segment. Its visible work is the
// segments' (each segment's causal half), and the row's full causal half is what an unpacked row of that length costs.
for (const [t, h, hkv, d, lengths] of quick
  ? [[512, 2, 1, 32, [256, 256]] as const]
  : [[2048, 8, 2, 64, [512, 640, 384, 512]] as const]) {
  const q = input([1, h, t, d]);
  const k = input([1, hkv, t, d]);
  const v = input([1, hkv, t, d]);
  const ids = Int32Array.from(lengths.flatMap((n, id) => new Array<number>(n).fill(id)));
  const seg = { storage: cpu.upload(ids, 'int32'), shape: [1, t], dtype: 'int32' as const };
  hostData.set(seg, ids);
  const attrs = { scale: 1 / Math.sqrt(d), causal: true };
  const [out, lse] = cpu.run('attention', [q, k, v, seg], attrs);
  const fwdFlops = lengths.reduce((a, n) => a + 2 * 2 * h * n * n * d * 0.5, 0);
  const label = `packed ${lengths.length} segments h${h}/${hkv} d${d}`;
  cases.push({
    name: `attention-fwd ${label}`,
    size: t,
    inputs: [q, k, v, seg],
    kernel: 'attention',
    attrs,
    flops: fwdFlops,
  });
  cases.push({
    name: `attention-bwd ${label}`,
    size: t,
    inputs: [input([1, h, t, d]), q, k, v, out, lse, seg],
    kernel: 'attentionGrad',
    attrs,
    flops: 2 * fwdFlops,
  });
}
for (const [rows, vocab] of quick
  ? [[64, 1024]]
  : [
      [512, 4096],
      [256, 32768],
    ]) {
  const logits = input([rows, vocab]);
  cases.push({
    name: `logSoftmax ${rows} rows`,
    size: vocab,
    inputs: [logits],
    kernel: 'logSoftmax',
    attrs: { axis: -1 },
  });
  cases.push({
    name: `logSumExp ${rows} rows`,
    size: vocab,
    inputs: [logits],
    kernel: 'logSumExp',
    attrs: { axis: -1 },
  });
  // the softmax of a vocabulary chunk, exp(z - lse), in the chunked losses
  cases.push({ name: `exp ${rows} rows`, size: vocab, inputs: [logits], kernel: 'exp' });
}
for (const [rows, hidden] of quick
  ? [[64, 128]]
  : [
      [1024, 256],
      [2048, 512],
    ]) {
  const x = input([rows, hidden]);
  const w = input([hidden]);
  cases.push({
    name: `rmsNorm ${rows} rows`,
    size: hidden,
    inputs: [x, w],
    kernel: 'rmsNorm',
    attrs: { eps: 1e-6 },
    withoutNative: true,
  });
  cases.push({
    name: `rmsNormGrad ${rows} rows`,
    size: hidden,
    inputs: [input([rows, hidden]), x, w],
    kernel: 'rmsNormGrad',
    attrs: { eps: 1e-6 },
    withoutNative: true,
  });
  // The residual add and the next norm fused (both outputs), against add then rmsNorm.
  const update = input([rows, hidden]);
  cases.push({
    name: `addRmsNorm ${rows} rows`,
    size: hidden,
    inputs: [x, update, w],
    kernel: 'addRmsNorm',
    attrs: { eps: 1e-6 },
    withoutNative: true,
    composition: {
      inputs: [x, update, w],
      run: (be, [xi, ui, wi]) => {
        const sum = run1(be, 'add', [xi!, ui!]);
        return [sum, run1(be, 'rmsNorm', [sum, wi!], { eps: 1e-6 })];
      },
    },
  });
  cases.push({ name: `add (row broadcast) ${rows} rows`, size: hidden, inputs: [x, w], kernel: 'add' });
  // One value per row (the loss's logits minus their row's log-sum-exp).
  cases.push({
    name: `sub (one value per row) ${rows} rows`,
    size: hidden,
    inputs: [x, input([rows, 1])],
    kernel: 'sub',
  });
  cases.push({
    name: `add (same shape) ${rows} rows`,
    size: hidden,
    inputs: [x, input([rows, hidden])],
    kernel: 'add',
    withoutNative: true,
  });
  cases.push({ name: `silu ${rows} rows`, size: hidden, inputs: [x], kernel: 'silu' });
  cases.push({
    name: `transpose [b, t, h, d] -> [b, h, t, d]`,
    size: rows * hidden,
    inputs: [{ ...x, shape: [4, rows / 4, 8, hidden / 8] }],
    kernel: 'transpose',
    attrs: { perm: [0, 2, 1, 3] },
  });
}
for (const [rows, width] of quick
  ? [[64, 384]]
  : [
      [2048, 384],
      [1024, 1536],
    ]) {
  const gate = input([rows, width]);
  const up = input([rows, width]);
  const siluGate = cpu.run('silu', [gate])[0];
  hostData.set(siluGate, cpu.readSync!(siluGate.storage) as Float32Array);
  cases.push({
    name: `swiglu ${rows} rows`,
    size: width,
    inputs: [gate, up],
    kernel: 'swiglu',
    composition: {
      inputs: [gate, up],
      run: (b, [g, u]) => {
        const s = run1(b, 'silu', [g!]);
        return [s, run1(b, 'mul', [s, u!])];
      },
    },
  });
  const dy = input([rows, width]);
  cases.push({
    name: `swigluGrad ${rows} rows`,
    size: width,
    inputs: [dy, gate, up],
    kernel: 'swigluGrad',
    composition: {
      // its backward also reads the silu(gate) its forward kept
      inputs: [dy, gate, up, siluGate],
      run: (b, [d, g, u, s]) => {
        const ds = run1(b, 'mul', [d!, u!]);
        return [ds, run1(b, 'mul', [d!, s!]), run1(b, 'siluGrad', [ds, g!])];
      },
    },
  });
}
// LoRA's dropout on a layer's input, and the adapted layer itself with dropout (a training forward):
// each against the kernels it replaces.
for (const [rows, width, out, r] of quick
  ? [[64, 256, 256, 8]]
  : [
      [2048, 384, 1152, 16],
      [1024, 1536, 384, 64],
    ]) {
  const x = input([rows, width]);
  const p = 0.05;
  const seed = 17;
  const dropoutComposition = (b: Backend, xi: TensorInfo): TensorInfo[] => {
    const u = run1(b, 'randomUniform', [], { shape: [rows, width], seed, low: 0, high: 1 });
    const keep = run1(b, 'scalarOp', [u], { op: 'greaterEqual', scalar: p });
    const masked = run1(b, 'mul', [xi, keep]);
    return [u, keep, masked, run1(b, 'scalarOp', [masked], { op: 'mul', scalar: 1 / (1 - p) })];
  };
  cases.push({
    name: `dropout ${rows} rows`,
    size: width,
    inputs: [x],
    kernel: 'dropout',
    attrs: { p, seed },
    composition: { inputs: [x], run: (b, [xi]) => dropoutComposition(b, xi!) },
    withoutNative: true,
  });
  const weight = input([out, width]);
  const a = input([r, width]);
  const bUp = input([out, r]);
  const scaling = 2;
  cases.push({
    name: `loraLinear r${r} ${rows} rows, dropout`,
    size: width,
    inputs: [x, weight, a, bUp],
    kernel: 'loraLinear',
    attrs: { scaling, dropout: p, seed },
    flops: 2 * rows * (out * width + r * (width + out)),
    withoutNative: true,
    composition: {
      inputs: [x, weight, a, bUp],
      run: (b, [xi, w, ai, bi]) => {
        const made = dropoutComposition(b, xi!);
        const base = run1(b, 'matmul', [xi!, w!], { transposeB: true });
        const down = run1(b, 'matmul', [made[3]!, ai!], { transposeB: true });
        const upOut = run1(b, 'matmul', [down, bi!], { transposeB: true });
        const scaled = run1(b, 'scalarOp', [upOut], { op: 'mul', scalar: scaling });
        return [...made, base, down, upOut, scaled, run1(b, 'add', [base, scaled])];
      },
    },
  });
}
for (const [rows, vocab] of quick
  ? [[64, 1024]]
  : [
      [2048, 2048],
      [1024, 8192],
    ]) {
  const logits = input([rows, vocab]);
  const targets = input([rows], 'int32', vocab);
  const logProbs = cpu.run('logSoftmax', [logits], { axis: -1 })[0];
  hostData.set(logProbs, cpu.readSync!(logProbs.storage) as Float32Array);
  const lse = cpu.run('softmaxCrossEntropy', [logits, targets])[1];
  hostData.set(lse, cpu.readSync!(lse.storage) as Float32Array);
  cases.push({
    name: `softmaxCrossEntropy ${rows} rows`,
    size: vocab,
    inputs: [logits, targets],
    kernel: 'softmaxCrossEntropy',
    composition: {
      inputs: [logits, targets],
      run: (b, [x, t]) => {
        const y = run1(b, 'logSoftmax', [x!], { axis: -1 });
        const picked = run1(b, 'takeAlongAxis', [y, t!]);
        return [y, picked, run1(b, 'neg', [picked])];
      },
    },
  });
  const dnll = input([rows]);
  cases.push({
    name: `softmaxCrossEntropyGrad ${rows} rows`,
    size: vocab,
    inputs: [dnll, logits, targets, lse],
    kernel: 'softmaxCrossEntropyGrad',
    composition: {
      // its backward reads the log-probabilities its forward kept
      inputs: [dnll, targets, logProbs],
      run: (b, [dn, t, y]) => {
        const dPicked = run1(b, 'neg', [dn!]);
        const dy = run1(b, 'putAlongAxis', [dPicked, t!], { size: vocab });
        return [dPicked, dy, run1(b, 'logSoftmaxGrad', [dy, y!], { axis: -1 })];
      },
    },
  });
}

if (only !== undefined) cases.splice(0, cases.length, ...cases.filter((c) => c.name.includes(only)));
if (cases.length === 0) throw new Error(`no case's name contains "${only}"`);

if (baselineDir) {
  const label = flagValue('--baseline-label') ?? 'baseline';
  const rounds = Number(flagValue('--rounds') ?? 21);
  const entry = pathToFileURL(join(baselineDir, 'packages/gpu-backend/src/cpu/index.ts')).href;
  const baseline = (await (await import(entry)).createCpuBackend()) as Backend;
  const rows: ResultRow[] = [];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  for (const c of cases) {
    const views = new Map<TensorInfo, TensorInfo>();
    const on = (b: Backend, x: TensorInfo): TensorInfo => {
      if (b === cpu) return x;
      let v = views.get(x);
      if (!v) views.set(x, (v = { ...x, storage: b.upload(hostData.get(x) ?? cpu.readSync!(x.storage), x.dtype) }));
      return v;
    };
    // The baseline runs what a fused kernel replaces (it predates the kernel, or has it: the A/B is the fusion).
    const composition = c.composition;
    const once = (b: Backend) => () => {
      const outs =
        b !== cpu && composition
          ? composition.run(
              b,
              composition.inputs.map((x) => on(b, x)),
            )
          : runByName(
              b,
              c.kernel,
              c.inputs.map((x) => on(b, x)),
              c.attrs,
            );
      for (const o of outs) b.release(o.storage);
    };
    // Wall time and CPU time per call, the two backends alternating (and alternating which goes first) sample by
    // sample: on a shared machine the load hits both alike, and CPU time is what the kernel itself costs.
    const runs = { current: once(cpu), baseline: once(baseline) };
    runs.current();
    runs.baseline();
    const t0 = performance.now();
    runs.current();
    const calls = Math.max(1, Math.round(20 / Math.max(performance.now() - t0, 0.01)));
    const wall = { current: [] as number[], baseline: [] as number[] };
    const cpuTime = { current: [] as number[], baseline: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const which of r % 2 ? (['current', 'baseline'] as const) : (['baseline', 'current'] as const)) {
        const w0 = performance.now();
        const c0 = process.cpuUsage();
        for (let i = 0; i < calls; i++) runs[which]();
        const used = process.cpuUsage(c0);
        wall[which].push((performance.now() - w0) / calls);
        cpuTime[which].push((used.user + used.system) / 1000 / calls);
      }
    }
    for (const v of views.values()) baseline.release(v.storage);
    for (const [impl, which] of [
      ['cpu', 'current'],
      [composition ? `cpu ${label} composition` : `cpu ${label}`, 'baseline'],
    ] as const) {
      rows.push(row({ case: `cpu-${c.name}`, impl, size: c.size, value: median(wall[which]), unit: 'ms' }));
      rows.push(row({ case: `cpu-${c.name}`, impl, size: c.size, value: median(cpuTime[which]), unit: 'cpu-ms' }));
    }
    const ratio = (m: Record<'current' | 'baseline', number[]>) => (median(m.current) / median(m.baseline)).toFixed(3);
    console.log(
      `${c.name.padEnd(40)} wall ratio ${ratio(wall)}, cpu-time ratio ${ratio(cpuTime)} (current / ${label})`,
    );
  }
  printTable(rows);
  if (!quick) console.log('wrote', writeResults('cpu-kernels-baseline', rows));
  process.exit(0);
}

// The same kernels where the native addon runs nothing (its GEMM, GEMV and scaleAdd): the WebAssembly
// GEMM and the JavaScript loops. Inputs are copies of the cases' host data.
const withoutAddon = await createBackend('cpu', { gemm: 'wasm' });
const copyTo = (b: Backend, info: TensorInfo): TensorInfo => ({
  ...info,
  storage: b.upload(hostData.get(info)!, info.dtype),
});
const bench = new Bench({ time: quick ? 100 : 1000, warmupTime: quick ? 20 : 200 });
for (const c of cases) {
  bench.add(`${c.kernel}|${c.name}|${c.size}`, () => {
    for (const o of runByName(cpu, c.kernel, c.inputs, c.attrs)) cpu.release(o.storage);
  });
  if (c.withoutNative) {
    const inputs = c.inputs.map((i) => copyTo(withoutAddon, i));
    bench.add(`${c.kernel}|${c.name}|${c.size}|without native addon`, () => {
      for (const o of runByName(withoutAddon, c.kernel, inputs, c.attrs)) withoutAddon.release(o.storage);
    });
  }
  const composition = c.composition;
  if (composition) {
    bench.add(`${c.kernel}|${c.name}|${c.size}|composition`, () => {
      for (const o of composition.run(cpu, composition.inputs)) cpu.release(o.storage);
    });
  }
}
await bench.run();

const rows: ResultRow[] = [];
for (const task of bench.tasks) {
  const [kernel, name, size, variant] = task.name.split('|');
  const c = cases.find((x) => x.kernel === kernel && x.name === name && String(x.size) === size)!;
  const result = task.result as { latency?: { p50?: number } } | undefined;
  const ms = result?.latency?.p50;
  if (ms === undefined) throw new Error(`no timing for ${task.name}`);
  const impl = variant ? `cpu ${variant}` : 'cpu';
  rows.push(row({ case: `cpu-${c.name}`, impl, size: c.size, value: ms, unit: 'ms' }));
  if (c.flops)
    rows.push(row({ case: `cpu-${c.name}`, impl, size: c.size, value: c.flops / (ms * 1e6), unit: 'GFLOP/s' }));
}
printTable(rows);
if (!quick) console.log('wrote', writeResults('cpu-kernels', rows));
process.exit(0);

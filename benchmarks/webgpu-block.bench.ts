/**
 * One Qwen3-style decoder block, forward and backward, written directly in
 * backend kernels (no autograd), on `webgpu` and `cpu`: RMSNorm, q/k/v
 * projections, per-head q/k RMSNorm, RoPE, causal grouped-query attention,
 * output projection, residual, RMSNorm, SwiGLU MLP, residual; then every
 * gradient (inputs and weights). Reports ms per forward+backward and the
 * achieved GFLOP/s of its matmuls and attention.
 *
 * Two variants of the same block: `unfused` (each step its own kernel, as
 * first measured) and `fused` (impl `<backend>-fused`: the kernels the model
 * runs, `rmsNormRope` for the q/k norms with RoPE and the move to heads,
 * `addRmsNorm` for the residual and the MLP's norm, `swiglu` and `swigluGrad`
 * for the MLP's gating). Every variant on every backend must give the same
 * gradients (their checksums within 1e-3 relative). On webgpu, one more step
 * of each variant runs profiled and prints its device time kernel by kernel.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/webgpu-block.bench.ts \
 *     [--impls webgpu,cpu] [--variants unfused,fused] [--seq 256] [--hidden 512] [--heads 8] [--kv-heads 4]
 *     [--head-dim 64] [--ffn 1536]
 */
import { Bench } from 'tinybench';
import {
  createBackend,
  registerBackend,
  runByName,
  type Backend,
  type KernelAttrs,
  type TensorInfo,
} from '@molrl/gpu-backend';
import { createWebgpuBackend } from '../packages/gpu-backend/src/webgpu/index.js';
import { printKernelProfiles } from './lib/kernel-profile.js';
import { backendMachine, printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { seededValues } from './lib/seeded-values.js';

registerBackend('webgpu', (options) => createWebgpuBackend(options));

function arg(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: expected a positive integer`);
  return v;
}
const impls = (
  process.argv.includes('--impls') ? process.argv[process.argv.indexOf('--impls') + 1]! : 'webgpu,cpu'
).split(',');
const T = arg('--seq', 256);
const Hd = arg('--hidden', 512);
const Hq = arg('--heads', 8);
const Hkv = arg('--kv-heads', 4);
const D = arg('--head-dim', 64);
const F = arg('--ffn', 1536);
const variants = (
  process.argv.includes('--variants') ? process.argv[process.argv.indexOf('--variants') + 1]! : 'unfused,fused'
).split(',');
for (const v of variants)
  if (v !== 'unfused' && v !== 'fused') throw new Error(`--variants: '${v}' is neither 'unfused' nor 'fused'`);

/** Matmul and attention FLOPs of one forward + backward (backward = 2x forward for matmuls). */
const matmulFlops = 2 * T * Hd * (Hq * D + 2 * Hkv * D) + 2 * T * Hq * D * Hd + 3 * 2 * T * Hd * F;
const attnFlops = 2 * 2 * Hq * T * T * D * 0.5; // QK^T and PV over the causal half
const totalFlops = 3 * matmulFlops + 3.5 * attnFlops; // backward recomputes scores and does 4 products

async function blockStep(
  b: Backend,
  fused: boolean,
): Promise<{ step: () => Promise<void>; check: () => Promise<number>; dispose: () => void }> {
  const up = (shape: number[], seed: number, scale: number): TensorInfo => ({
    storage: b.upload(
      seededValues(
        shape.reduce((x, y) => x * y, 1),
        seed,
        scale,
      ),
      'float32',
    ),
    shape,
    dtype: 'float32',
  });
  const w = {
    inNorm: up([Hd], 1, 1),
    qNorm: up([D], 2, 1),
    kNorm: up([D], 3, 1),
    postNorm: up([Hd], 4, 1),
    Wq: up([Hd, Hq * D], 5, 0.05),
    Wk: up([Hd, Hkv * D], 6, 0.05),
    Wv: up([Hd, Hkv * D], 7, 0.05),
    Wo: up([Hq * D, Hd], 8, 0.05),
    Wg: up([Hd, F], 9, 0.05),
    Wu: up([Hd, F], 10, 0.05),
    Wd: up([F, Hd], 11, 0.05),
  };
  const x = up([T, Hd], 12, 1);
  const dy = up([T, Hd], 13, 1);
  const pos: TensorInfo = {
    storage: b.upload(
      Int32Array.from({ length: T }, (_, i) => i),
      'int32',
    ),
    shape: [1, T],
    dtype: 'int32',
  };
  const persistent = [...Object.values(w), x, dy, pos];

  const run = async (keep: boolean): Promise<TensorInfo[]> => {
    const temps: TensorInfo[] = [];
    const k = (name: string, inputs: TensorInfo[], attrs: KernelAttrs = {}): TensorInfo[] => {
      const outs = runByName(b, name, inputs, attrs);
      temps.push(...outs);
      return outs;
    };
    const k1 = (name: string, inputs: TensorInfo[], attrs: KernelAttrs = {}) => k(name, inputs, attrs)[0]!;
    const view = (t: TensorInfo, shape: number[]): TensorInfo => ({ ...t, shape });
    const heads = (t: TensorInfo, h: number) => k1('transpose', [view(t, [1, T, h, D])], { perm: [0, 2, 1, 3] });
    const unheads = (t: TensorInfo, h: number) => view(k1('transpose', [t], { perm: [0, 2, 1, 3] }), [T, h * D]);
    const mm = (a: TensorInfo, bb: TensorInfo, tA = false, tB = false) =>
      k1('matmul', [a, bb], { transposeA: tA, transposeB: tB });
    const attn = { scale: 1 / Math.sqrt(D), causal: true };
    const norm = { eps: 1e-6 };
    const rotary = { theta: 1e6 };
    // forward
    const h1 = k1('rmsNorm', [x, w.inNorm], norm);
    // The q and k projections as [1, T, H, D]: the unfused block moves them to heads first, the fused one as it norms.
    const q = view(mm(h1, w.Wq), [1, T, Hq, D]);
    const kk = view(mm(h1, w.Wk), [1, T, Hkv, D]);
    const v4 = heads(mm(h1, w.Wv), Hkv);
    const q4 = fused ? q : heads(q, Hq);
    const k4 = fused ? kk : heads(kk, Hkv);
    const qr = fused
      ? k1('rmsNormRope', [q, w.qNorm, pos], { ...norm, ...rotary })
      : k1('rope', [k1('rmsNorm', [q4, w.qNorm], norm), pos], rotary);
    const kr = fused
      ? k1('rmsNormRope', [kk, w.kNorm, pos], { ...norm, ...rotary })
      : k1('rope', [k1('rmsNorm', [k4, w.kNorm], norm), pos], rotary);
    const [o, lse] = k('attention', [qr, kr, v4], attn) as [TensorInfo, TensorInfo];
    const o2 = unheads(o, Hq);
    const [x2, h2] = fused
      ? (k('addRmsNorm', [x, mm(o2, w.Wo), w.postNorm], norm) as [TensorInfo, TensorInfo])
      : ((x2) => [x2, k1('rmsNorm', [x2, w.postNorm], norm)])(k1('add', [x, mm(o2, w.Wo)]));
    const g = mm(h2, w.Wg);
    const u = mm(h2, w.Wu);
    const s = fused ? null : k1('silu', [g]);
    const m = s ? k1('mul', [s, u]) : k1('swiglu', [g, u]);
    k1('add', [x2, mm(m, w.Wd)]); // y
    // backward
    const dm = mm(dy, w.Wd, false, true);
    const grads: TensorInfo[] = [mm(m, dy, true, false)];
    const [dg, du] = s
      ? [k1('siluGrad', [k1('mul', [dm, u]), g]), k1('mul', [dm, s])]
      : (k('swigluGrad', [dm, g, u]) as [TensorInfo, TensorInfo]);
    grads.push(mm(h2, dg, true), mm(h2, du, true));
    const dh2 = k1('add', [mm(dg, w.Wg, false, true), mm(du, w.Wu, false, true)]);
    const [dx2b, dPost] = k('rmsNormGrad', [dh2, x2, w.postNorm], norm) as [TensorInfo, TensorInfo];
    const dx2 = k1('add', [dy, dx2b]);
    grads.push(dPost, mm(o2, dx2, true));
    const dO = heads(mm(dx2, w.Wo, false, true), Hq);
    const [dqr, dkr, dv4] = k('attentionGrad', [dO, qr, kr, v4, o, lse], attn) as [TensorInfo, TensorInfo, TensorInfo];
    // The fused gradient comes back as [1, T, H, D], the tokens' rows: no move from heads.
    const normRopeGrad = (dr: TensorInfo, x4: TensorInfo, weight: TensorInfo, h: number): [TensorInfo, TensorInfo] => {
      if (fused) {
        const [dx, dw] = k('rmsNormRopeGrad', [dr, x4, weight, pos], { ...norm, ...rotary }) as [
          TensorInfo,
          TensorInfo,
        ];
        return [view(dx, [T, h * D]), dw];
      }
      const unrotated = k1('rope', [dr, pos], { ...rotary, inverse: true });
      const [dx4, dw] = k('rmsNormGrad', [unrotated, x4, weight], norm) as [TensorInfo, TensorInfo];
      return [unheads(dx4, h), dw];
    };
    const [dq, dqN] = normRopeGrad(dqr, q4, w.qNorm, Hq);
    const [dk, dkN] = normRopeGrad(dkr, k4, w.kNorm, Hkv);
    const dv = unheads(dv4, Hkv);
    grads.push(dqN, dkN, mm(h1, dq, true), mm(h1, dk, true), mm(h1, dv, true));
    const dh1 = k1('add', [
      k1('add', [mm(dq, w.Wq, false, true), mm(dk, w.Wk, false, true)]),
      mm(dv, w.Wv, false, true),
    ]);
    const [dx1, dIn] = k('rmsNormGrad', [dh1, x, w.inNorm], norm) as [TensorInfo, TensorInfo];
    grads.push(dIn, k1('add', [dx2, dx1]));
    const kept = keep ? grads : [];
    for (const t of temps) if (!kept.includes(t)) b.release(t.storage);
    await b.sync();
    return kept;
  };
  return {
    step: async () => {
      await run(false);
    },
    /** A checksum of every gradient, to compare backends. */
    check: async () => {
      const grads = await run(true);
      let sum = 0;
      for (const g of grads) for (const v of await b.read(g.storage)) sum += Math.abs(v);
      for (const g of grads) b.release(g.storage);
      return sum;
    },
    dispose: () => persistent.forEach((t) => b.release(t.storage)),
  };
}

const rows: ResultRow[] = [];
const checks: Record<string, number> = {};
for (const name of impls) {
  let backend: Backend;
  try {
    backend = await createBackend(name);
  } catch (err) {
    console.log(`skip ${name}: ${(err as Error).message.split('\n')[0]}`);
    continue;
  }
  const machine = backendMachine(backend);
  for (const variant of variants) {
    const impl = variant === 'fused' ? `${name}-fused` : name;
    const { step, check, dispose } = await blockStep(backend, variant === 'fused');
    checks[impl] = await check();
    const t0 = performance.now();
    await step();
    const once = performance.now() - t0;
    const bench = new Bench({
      time: once > 3000 ? 0 : 2000,
      iterations: once > 3000 ? 1 : 5,
      warmupIterations: once > 3000 ? 0 : 1,
      warmupTime: 0,
    });
    bench.add(impl, step);
    await bench.run();
    const ms = bench.tasks[0]!.result.state === 'completed' ? bench.tasks[0]!.result.latency.p50 : NaN;
    console.log(
      `${impl.padEnd(14)} ${ms.toFixed(2)} ms per forward+backward, ${(totalFlops / (ms / 1000) / 1e9).toFixed(1)} GFLOP/s (gradient checksum ${checks[impl]!.toPrecision(8)})`,
    );
    const blockCase = `qwen3-block-fwd-bwd h${Hd} q${Hq} kv${Hkv} d${D} f${F}`;
    rows.push(
      row({ case: blockCase, impl, size: T, value: ms, unit: 'ms', machine }),
      row({ case: blockCase, impl, size: T, value: totalFlops / (ms / 1000) / 1e9, unit: 'GFLOP/s', machine }),
    );
    // Where a step's device time goes, kernel by kernel (timestamp queries, where the backend has them):
    // summed by shader, then the longest shader-and-grid pairs (a product's grid tells its shape and tiling).
    await printKernelProfiles(backend, `${impl}: one step's device time`, step);
    dispose();
  }
  await backend.dispose();
}
// Every variant on every backend computes the same gradients: each checksum against the first.
const names = Object.keys(checks);
for (const other of names.slice(1)) {
  const [a, b] = [checks[names[0]!]!, checks[other]!];
  const rel = Math.abs(a - b) / Math.abs(a);
  console.log(`gradient checksums ${names[0]} vs ${other}: relative difference ${rel.toExponential(2)}`);
  if (!(rel < 1e-3)) throw new Error(`${names[0]} and ${other} disagree on the block's gradients (${a} vs ${b})`);
}
console.log('');
printTable(rows);
console.log(`wrote ${writeResults('webgpu-block', rows)}`);

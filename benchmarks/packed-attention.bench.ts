/**
 * Causal attention over a packed row (MoL training on packed traces: several
 * segments back to back, a query seeing only its own segment's keys) against
 * the same row unpacked (one causal sequence), forward and forward+backward,
 * on `webgpu` and `cpu`. The kernels leave out the keys of other segments
 * (cpu: key windows in steps of 256; webgpu: tiles no row of a block sees),
 * so the packed row costs its segments' work, not the row's. Rows: median ms
 * per call, and GFLOP/s of the visible work (each segment's causal half for
 * the packed row, the row's for the unpacked one).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/packed-attention.bench.ts \
 *     [--impls webgpu,cpu] [--segments 512,640,384,512] [--heads 8] [--kv-heads 2] [--head-dim 64] [--quick]
 *     [--label <text>]
 *
 * --label: appended to each row's impl (an A/B against another checkout's kernels).
 */
import { Bench } from 'tinybench';
import { createBackend, registerBackend, runByName, type Backend, type TensorInfo } from '@molrl/gpu-backend';
import { createWebgpuBackend } from '../packages/gpu-backend/src/webgpu/index.js';
import { backendMachine, printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { seededValues } from './lib/seeded-values.js';

registerBackend('webgpu', (options) => createWebgpuBackend(options));

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
function arg(flag: string, fallback: string): string {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1]! : fallback;
}
function positive(flag: string, fallback: number): number {
  const v = Number(arg(flag, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag}: expected a positive integer, got ${arg(flag, '')}`);
  return v;
}
const impls = arg('--impls', 'webgpu,cpu').split(',');
const implLabel = argv.includes('--label') ? ` ${arg('--label', '')}` : '';
const lengths = arg('--segments', quick ? '128,192' : '512,640,384,512')
  .split(',')
  .map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--segments: expected positive integers, got "${x}"`);
    return n;
  });
const Hq = positive('--heads', quick ? 2 : 8);
const Hkv = positive('--kv-heads', quick ? 1 : 2);
const D = positive('--head-dim', 64);
if (Hq % Hkv !== 0) throw new Error(`--heads ${Hq} must be a multiple of --kv-heads ${Hkv}`);
const T = lengths.reduce((a, b) => a + b, 0);
const causalHalf = (n: number) => 2 * 2 * Hq * n * n * D * 0.5; // QK^T and PV over the causal half
const layouts = {
  packed: { segments: true, flops: lengths.reduce((a, n) => a + causalHalf(n), 0) },
  unpacked: { segments: false, flops: causalHalf(T) },
};

const rows: ResultRow[] = [];
const label = `row of ${lengths.length} segments h${Hq}/${Hkv} d${D}`;
for (const name of impls) {
  let backend: Backend;
  try {
    backend = await createBackend(name);
  } catch (e) {
    console.log(`${name}: not available here (${(e as Error).message.split('\n')[0]}); skipped`);
    continue;
  }
  const machine = backendMachine(backend);
  const up = (shape: number[], seed: number): TensorInfo => ({
    storage: backend.upload(
      seededValues(
        shape.reduce((a, b) => a * b, 1),
        seed,
      ),
      'float32',
    ),
    shape,
    dtype: 'float32',
  });
  const q = up([1, Hq, T, D], 1);
  const k = up([1, Hkv, T, D], 2);
  const v = up([1, Hkv, T, D], 3);
  const dOut = up([1, Hq, T, D], 4);
  const ids = Int32Array.from(lengths.flatMap((n, id) => new Array<number>(n).fill(id)));
  const seg: TensorInfo = { storage: backend.upload(ids, 'int32'), shape: [1, T], dtype: 'int32' };
  const attrs = { scale: 1 / Math.sqrt(D), causal: true };
  for (const [layout, { segments, flops }] of Object.entries(layouts)) {
    const segIn = segments ? [seg] : [];
    const [out, lse] = runByName(backend, 'attention', [q, k, v, ...segIn], attrs);
    // Each call ends with a read of one output, so a GPU's queued work is timed to its end.
    const forward = async () => {
      const [o, l] = runByName(backend, 'attention', [q, k, v, ...segIn], attrs);
      await backend.read(l!.storage);
      backend.release(o!.storage);
      backend.release(l!.storage);
    };
    const both = async () => {
      const [o, l] = runByName(backend, 'attention', [q, k, v, ...segIn], attrs);
      const grads = runByName(backend, 'attentionGrad', [dOut, q, k, v, out!, lse!, ...segIn], attrs);
      await backend.read(grads[2]!.storage);
      for (const x of [o!, l!, ...grads]) backend.release(x.storage);
    };
    for (const [pass, fn, work] of [
      ['fwd', forward, flops],
      ['fwd-bwd', both, 3.5 * flops], // the backward recomputes the scores and does four products
    ] as const) {
      const bench = new Bench({ iterations: quick ? 3 : 10, warmupIterations: 2, time: 0 });
      bench.add(pass, fn);
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result.state !== 'completed') throw new Error(`${name} ${layout} ${pass}: ${JSON.stringify(result)}`);
      const ms = result.latency.p50;
      const caseName = `attention-${pass} ${layout} ${label}`;
      console.log(
        `${name.padEnd(7)} ${caseName.padEnd(44)} ${ms.toFixed(2)} ms, ${(work / ms / 1e6).toFixed(1)} GFLOP/s`,
      );
      const impl = name + implLabel;
      rows.push(row({ case: caseName, impl, size: T, value: ms, unit: 'ms', machine }));
      rows.push(row({ case: caseName, impl, size: T, value: work / ms / 1e6, unit: 'GFLOP/s', machine }));
    }
    backend.release(out!.storage);
    backend.release(lse!.storage);
  }
  for (const x of [q, k, v, dOut, seg]) backend.release(x.storage);
  await backend.dispose();
}
printTable(rows);
if (!quick) console.log(`wrote ${writeResults('packed-attention', rows)}`);

/**
 * f32 matmul throughput (GFLOP/s = 2 n^3 / time per product) on the molrl
 * `webgpu` backend (the contract's `matmul`, and its two kernels by name:
 * `webgpu-tiled`, `webgpu-regblock`) against `cpu` and `gpujs`, at
 * n = 256 .. 4096 in one run. On a GPU the products are enqueued back to back
 * and timed to `sync()`, without reading C back (the device's own rate); each
 * implementation's product is first checked against a float64 row.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/webgpu-matmul.bench.ts \
 *     [--sizes 256,512,1024] [--impls webgpu,webgpu-regblock,cpu] [--tune] [--max-call-ms 20000]
 *     [--dawn-flags enable-dawn-features=disable_robustness]
 *
 * --tune: also time the register-blocked kernel at the largest size with
 * several tile shapes (rows impl "webgpu-regblock-<bm>x<bn>x<bk>-<tm>x<tn>").
 * Sizes whose single product would take longer than --max-call-ms (predicted
 * from the previous size) are skipped with a note: on lavapipe (Mesa's CPU
 * Vulkan driver) that is typically 2048 and 4096.
 */
import { Bench } from 'tinybench';
import { createBackend, registerBackend, type Backend, type BackendOptions, type TensorInfo } from '@molrl/gpu-backend';
import {
  createWebgpuBackend,
  matmulRegblock,
  matmulTiled,
  type RegblockAttrs,
  type WebgpuBackend,
} from '../packages/gpu-backend/src/webgpu/index.js';
import { machineName, printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { referenceRow, seededMatrix } from './lib/matmul-check.js';
import { flagValue } from './lib/args.js';

interface Impl {
  name: string;
  backend: Backend;
  /** One product (enqueued; read the result's storage to wait for it). */
  product: (a: TensorInfo, b: TensorInfo, attrs: RegblockAttrs) => TensorInfo;
  machine: string;
}

/** The contract's matmul on any backend. */
const contractMatmul = (backend: Backend) => (a: TensorInfo, b: TensorInfo) => backend.run('matmul', [a, b])[0]!;

const sizes = (flagValue('--sizes') ?? '256,512,1024,2048,4096').split(',').map(Number);
const implNames = (flagValue('--impls') ?? 'webgpu,webgpu-tiled,webgpu-regblock,cpu,gpujs-webgpu,gpujs-webasm').split(
  ',',
);
const tune = process.argv.includes('--tune');
const maxCallMs = Number(flagValue('--max-call-ms') ?? 20_000);
for (const s of sizes) if (!Number.isInteger(s) || s < 1) throw new Error(`--sizes: '${s}' is not a positive integer`);

const TILES = [
  { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 },
  { bm: 128, bn: 128, bk: 16, tm: 8, tn: 8 },
  { bm: 128, bn: 64, bk: 16, tm: 8, tn: 4 },
  { bm: 64, bn: 128, bk: 16, tm: 4, tn: 8 },
  { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 },
  { bm: 128, bn: 128, bk: 32, tm: 8, tn: 8 },
];

// Registered explicitly (rather than through createBackend's lazy import) so that a bundled
// copy of this benchmark (benchmarks/device/) carries the backend with it.
registerBackend('webgpu', (options) => createWebgpuBackend(options));

const dawnFlags = flagValue('--dawn-flags')?.split(',');

const backends = new Map<string, Promise<Backend>>();
function getBackend(name: string, options?: BackendOptions): Promise<Backend> {
  const key = `${name} ${JSON.stringify(options ?? {})}`;
  let b = backends.get(key);
  if (!b) backends.set(key, (b = createBackend(name, options)));
  return b;
}

async function makeImpl(name: string): Promise<Impl> {
  const webgpuMachine = async (b: Backend) =>
    (b as Backend & { adapterName?: string }).adapterName ?? 'unknown WebGPU adapter';
  switch (name) {
    case 'webgpu':
    case 'webgpu-tiled':
    case 'webgpu-regblock': {
      const b = await getBackend('webgpu', dawnFlags ? { dawnFlags } : undefined);
      const gpu = b as WebgpuBackend;
      const product: Impl['product'] =
        name === 'webgpu'
          ? contractMatmul(b)
          : name === 'webgpu-tiled'
            ? (x, y, attrs) => matmulTiled(gpu, x, y, attrs)
            : (x, y, attrs) => matmulRegblock(gpu, x, y, attrs);
      return { name, backend: b, product, machine: await webgpuMachine(b) };
    }
    case 'cpu': {
      const b = await getBackend('cpu');
      return { name, backend: b, product: contractMatmul(b), machine: machineName() };
    }
    default:
      if (name.startsWith('gpujs-')) {
        const mode = name.slice('gpujs-'.length);
        const b = await getBackend('gpujs', { mode });
        return { name, backend: b, product: contractMatmul(b), machine: machineName() };
      }
      throw new Error(
        `--impls: unknown implementation '${name}' (webgpu, webgpu-tiled, webgpu-regblock, cpu, gpujs-<mode>)`,
      );
  }
}

/** Time one (impl, n): returns GFLOP/s, or undefined when skipped. */
async function measure(
  impl: Impl,
  n: number,
  attrs: RegblockAttrs,
  label: string,
  predictMs: number,
): Promise<{ gflops: number; callMs: number } | undefined> {
  if (predictMs > maxCallMs) {
    console.log(`skip ${label} n=${n}: one product would take ~${(predictMs / 1000).toFixed(0)} s`);
    notes.push(`${label} n=${n}: skipped (one product would take ~${(predictMs / 1000).toFixed(0)} s)`);
    return undefined;
  }
  const { backend, product } = impl;
  const a = seededMatrix(n, 1);
  const b = seededMatrix(n, 2);
  const A: TensorInfo = { storage: backend.upload(a, 'float32'), shape: [n, n], dtype: 'float32' };
  const B: TensorInfo = { storage: backend.upload(b, 'float32'), shape: [n, n], dtype: 'float32' };
  try {
    const c0 = product(A, B, attrs);
    const c = (await backend.read(c0.storage)) as Float32Array;
    backend.release(c0.storage);
    const i = n >> 1;
    const ref = referenceRow(a, b, n, i);
    let worst = 0;
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(c[i * n + j]! - ref[j]!));
    if (!(worst <= 1e-5 * n)) throw new Error(`${label} n=${n}: wrong product (max error ${worst} in row ${i})`);
    // One timed product decides how many go into a sample (GPU launches are asynchronous).
    const t0 = performance.now();
    backend.release(product(A, B, attrs).storage);
    await backend.sync();
    const callMs = performance.now() - t0;
    const reps = Math.max(1, Math.min(64, Math.floor(50 / Math.max(callMs, 0.01))));
    const bench = new Bench({
      time: callMs > 2000 ? 0 : 1000,
      iterations: callMs > 2000 ? 1 : 5,
      warmupIterations: callMs > 2000 ? 0 : 2,
      warmupTime: 0,
    });
    bench.add(label, async () => {
      for (let r = 0; r < reps; r++) backend.release(product(A, B, attrs).storage);
      await backend.sync();
    });
    await bench.run();
    const result = bench.tasks[0]!.result;
    if (result.state !== 'completed') throw new Error(`${label} n=${n}: benchmark ${result.state}`);
    const ms = result.latency.p50 / reps;
    const gflops = (2 * n ** 3) / (ms / 1000) / 1e9;
    console.log(
      `${label.padEnd(34)} n=${String(n).padEnd(5)} ${gflops.toFixed(1).padStart(9)} GFLOP/s  (${ms.toFixed(3)} ms per product, ${reps} per sample)`,
    );
    return { gflops, callMs };
  } finally {
    backend.release(A.storage);
    backend.release(B.storage);
  }
}

const rows: ResultRow[] = [];
const notes: string[] = [];
for (const name of implNames) {
  let impl: Impl;
  try {
    impl = await makeImpl(name);
  } catch (err) {
    console.log(`skip ${name}: ${(err as Error).message.split('\n')[0]}`);
    notes.push(`${name}: skipped (${(err as Error).message.split('\n')[0]})`);
    continue;
  }
  let last: { n: number; ms: number } | undefined;
  for (const n of sizes) {
    const predict = last ? last.ms * (n / last.n) ** 3 : 0;
    const r = await measure(impl, n, {}, name, predict);
    if (!r) continue;
    last = { n, ms: r.callMs };
    rows.push(
      row({ case: 'matmul-f32', impl: name, size: n, value: r.gflops, unit: 'GFLOP/s', machine: impl.machine }),
    );
  }
}

if (tune) {
  const impl = await makeImpl('webgpu-regblock');
  const n = Math.max(...sizes);
  for (const tile of TILES) {
    const label = `webgpu-regblock-${tile.bm}x${tile.bn}x${tile.bk}-${tile.tm}x${tile.tn}`;
    const r = await measure(impl, n, { tile }, label, 0);
    if (r)
      rows.push(
        row({ case: 'matmul-f32', impl: label, size: n, value: r.gflops, unit: 'GFLOP/s', machine: impl.machine }),
      );
  }
}

for (const b of backends.values()) await (await b).dispose();

console.log('');
const adapters = [...new Set(rows.map((r) => r.machine))];
console.log(`machines: ${adapters.join(' | ')}`);
printTable(rows);
for (const note of notes) console.log(`note: ${note}`);
const path = writeResults('webgpu-matmul', rows);
console.log(`wrote ${path}`);

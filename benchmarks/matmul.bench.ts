/**
 * f32 matmul throughput (GFLOP/s = 2*n^3 / median time) at n = 256, 512, 1024,
 * 2048 for the molrl `cpu` backend on its default GEMM (the native one,
 * @molrl/cpu-native, where it is built) and on its WebAssembly GEMM (`cpu-wasm`),
 * each also on the backward's transposed products (`-AtB`, `-ABt`); OpenBLAS
 * through torch.mm in a child process (`pytorch`, 2 threads, Debian's
 * python3-torch; its own timing of each call); the `gpujs` backend in each mode
 * that runs here, @tensorflow/tfjs (cpu) and @tensorflow/tfjs-backend-wasm
 * (XNNPACK), side by side in one run. Each timed molrl call includes reading
 * the product back to host memory.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/matmul.bench.ts [--quick] [--sizes 256,512] [--impls cpu,tfjs-wasm] [--python /usr/bin/python3]
 *
 * --quick: sizes 64 and 128 with short timings (a smoke run of a few seconds).
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { Bench } from 'tinybench';
import { createBackend, type Backend, type BackendOptions, type TensorInfo } from '@molrl/gpu-backend';
import { nativeGemmStatus } from '@molrl/gpu-backend/cpu';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { referenceRow, seededMatrix } from './lib/matmul-check.js';
import { TorchSide } from './vs-torch/torch-side.js';
import { flagValue } from './lib/args.js';

/** One implementation under test: set up once, then multiply two n x n matrices. */
interface MatmulImpl {
  name: string;
  /** Prepare n x n inputs; returns the timed call (which must read C back) and a cleanup. */
  prepare(
    n: number,
    a: Float32Array,
    b: Float32Array,
  ): Promise<{ run: () => unknown; check: () => Promise<Float32Array>; dispose: () => void }>;
  /** Times of calls measured by the implementation itself (ms), instead of timing `run` here. */
  timings?(n: number, count: number): Promise<number[]>;
  close(): Promise<void>;
}

/** An n x n matrix transposed. */
function transposed(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = x[i * n + j]!;
  return out;
}

/**
 * An implementation through the molrl Backend contract (createBackend + run('matmul')).
 * `transpose`: the operand stored transposed (the backward's A^T B and A B^T), the product the same.
 */
async function backendImpl(
  name: string,
  backendName: string,
  options?: BackendOptions,
  transpose: { transposeA?: boolean; transposeB?: boolean } = {},
): Promise<MatmulImpl> {
  const backend: Backend = await createBackend(backendName, options);
  const readBack = async (info: TensorInfo) => (await backend.read(info.storage)) as Float32Array;
  return {
    name,
    async prepare(n, a, b) {
      const aStored = transpose.transposeA ? transposed(a, n) : a;
      const bStored = transpose.transposeB ? transposed(b, n) : b;
      const aInfo: TensorInfo = { storage: backend.upload(aStored, 'float32'), shape: [n, n], dtype: 'float32' };
      const bInfo: TensorInfo = { storage: backend.upload(bStored, 'float32'), shape: [n, n], dtype: 'float32' };
      const runOnce = () => backend.run('matmul', [aInfo, bInfo], transpose)[0]!;
      const sync = backend.readSync?.bind(backend);
      return {
        run: sync
          ? () => {
              const out = runOnce();
              sync(out.storage);
              backend.release(out.storage);
            }
          : async () => {
              const out = runOnce();
              await readBack(out);
              backend.release(out.storage);
            },
        check: async () => {
          const out = runOnce();
          const data = await readBack(out);
          backend.release(out.storage);
          return data;
        },
        dispose: () => {
          backend.release(aInfo.storage);
          backend.release(bInfo.storage);
        },
      };
    },
    close: async () => {
      await backend.dispose();
    },
  };
}

/** @tensorflow/tfjs on one of its backends ('cpu', or 'wasm' = XNNPACK). */
async function tfjsImpl(name: string, tfBackend: 'cpu' | 'wasm'): Promise<MatmulImpl> {
  const tf = await import('@tensorflow/tfjs');
  if (tfBackend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the .wasm binaries load from the file system: point at the package's dist folder.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  }
  if (!(await tf.setBackend(tfBackend))) throw new Error(`tfjs backend '${tfBackend}' failed to initialise`);
  await tf.ready();
  return {
    name,
    async prepare(n, a, b) {
      await tf.setBackend(tfBackend); // both tfjs impls share one tf module
      const at = tf.tensor2d(a, [n, n]);
      const bt = tf.tensor2d(b, [n, n]);
      const runOnce = () => {
        const c = tf.matMul(at, bt);
        const data = c.dataSync() as Float32Array;
        c.dispose();
        return data;
      };
      return { run: runOnce, check: async () => runOnce(), dispose: () => tf.dispose([at, bt]) };
    },
    close: async () => {},
  };
}

/**
 * torch.mm in the vs-torch child (OpenBLAS); each call timed inside Python, so
 * the pipe's latency is not counted. Its product is checked like the others.
 */
async function torchImpl(
  name: string,
  transpose: { transposeA?: boolean; transposeB?: boolean } = {},
): Promise<MatmulImpl> {
  const python = flagValue('--python') ?? '/usr/bin/python3';
  const torch = new TorchSide(python, 2);
  await torch.request({ cmd: 'info' });
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
  return {
    name,
    async prepare(n, a, b) {
      // The same inputs as every other implementation (torch_side.py stores them transposed if asked).
      await torch.request({ cmd: 'setup', case: { kind: 'matmul', name, n, a: bytes(a), b: bytes(b), ...transpose } });
      return {
        run: () => torch.request({ cmd: 'run' }),
        check: async () => {
          // Only row n/2 is checked: the rest stays zero.
          const c = new Float32Array(n * n);
          c.set((await torch.request({ cmd: 'row', i: n >> 1 })).row as number[], (n >> 1) * n);
          return c;
        },
        dispose: () => void torch.request({ cmd: 'dispose' }),
      };
    },
    async timings(_n, count) {
      const ms: number[] = [];
      for (let i = 0; i < count; i++) ms.push(((await torch.request({ cmd: 'run' })) as { ms: number }).ms);
      return ms;
    },
    close: () => torch.close(),
  };
}

/**
 * Every implementation, by name. Adding one is one line; one that cannot run
 * here (a gpujs mode without its device) is skipped with a note.
 */
const IMPLS: Record<string, () => Promise<MatmulImpl>> = {
  cpu: () => backendImpl('cpu', 'cpu'),
  // The backward's products: A^T B (weight gradients) and A B^T (input gradients, linear layers).
  'cpu-AtB': () => backendImpl('cpu-AtB', 'cpu', undefined, { transposeA: true }),
  'cpu-ABt': () => backendImpl('cpu-ABt', 'cpu', undefined, { transposeB: true }),
  // The same on the WebAssembly GEMM (the default where the native one is not built).
  'cpu-wasm': () => backendImpl('cpu-wasm', 'cpu', { gemm: 'wasm' }),
  'cpu-wasm-AtB': () => backendImpl('cpu-wasm-AtB', 'cpu', { gemm: 'wasm' }, { transposeA: true }),
  'cpu-wasm-ABt': () => backendImpl('cpu-wasm-ABt', 'cpu', { gemm: 'wasm' }, { transposeB: true }),
  pytorch: () => torchImpl('pytorch'),
  'pytorch-AtB': () => torchImpl('pytorch-AtB', { transposeA: true }),
  'pytorch-ABt': () => torchImpl('pytorch-ABt', { transposeB: true }),
  'gpujs-webasm': () => backendImpl('gpujs-webasm', 'gpujs', { mode: 'webasm' }),
  'gpujs-cpu': () => backendImpl('gpujs-cpu', 'gpujs', { mode: 'cpu' }),
  'gpujs-headlessgl': () => backendImpl('gpujs-headlessgl', 'gpujs', { mode: 'headlessgl' }),
  'gpujs-webgpu': () => backendImpl('gpujs-webgpu', 'gpujs', { mode: 'webgpu' }),
  tfjs: () => tfjsImpl('tfjs', 'cpu'),
  'tfjs-wasm': () => tfjsImpl('tfjs-wasm', 'wasm'),
};

const quick = process.argv.includes('--quick');
const sizes = (flagValue('--sizes') ?? (quick ? '64,128' : '256,512,1024,2048')).split(',').map(Number);
const implNames = (flagValue('--impls') ?? Object.keys(IMPLS).join(',')).split(',');
for (const s of sizes) if (!Number.isInteger(s) || s < 1) throw new Error(`--sizes: '${s}' is not a positive integer`);
for (const name of implNames)
  if (!IMPLS[name])
    throw new Error(`--impls: unknown implementation '${name}' (known: ${Object.keys(IMPLS).join(', ')})`);

/** Time budget per (impl, size), and the longest single call we wait for before skipping bigger sizes. */
const TIME_MS = quick ? 150 : 2000;
const MAX_CALL_MS = quick ? 2000 : 30_000;

// Other work on the machine lowers every figure: say how busy it was.
const loadText = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
console.log(`load average at start: ${loadText()}`);
const native = nativeGemmStatus();
console.log(
  `cpu GEMM: ${native.available ? `native (${native.isa}, ${native.threads} threads)` : `WebAssembly (native: ${native.reason})`}`,
);

const rows: ResultRow[] = [];
const notes: string[] = [];
const impls: MatmulImpl[] = [];
for (const implName of implNames) {
  try {
    impls.push(await IMPLS[implName]!());
  } catch (err) {
    notes.push(`${implName}: skipped (${(err as Error).message})`);
    console.log(`skip ${implName}: ${(err as Error).message}`);
  }
}

// Size-major order: the implementations of one size run back to back, so a
// change in the machine's load affects them alike.
const lastCall = new Map<string, { n: number; ms: number }>();
for (const n of sizes) {
  const a = seededMatrix(n, 1);
  const b = seededMatrix(n, 2);
  const i = n >> 1;
  const ref = referenceRow(a, b, n, i);
  for (const impl of impls) {
    const implName = impl.name;
    // A call costs ~n^3: skip sizes whose one call would exceed the wait limit.
    const last = lastCall.get(implName);
    const predicted = last ? last.ms * (n / last.n) ** 3 : 0;
    if (predicted > MAX_CALL_MS) {
      notes.push(`${implName} n=${n}: skipped (one call would take ~${(predicted / 1000).toFixed(0)} s)`);
      console.log(`skip ${implName} n=${n}: one call would take ~${(predicted / 1000).toFixed(0)} s`);
      continue;
    }
    const { run, check, dispose } = await impl.prepare(n, a, b);
    // Check the product (row n/2 against f64) before timing it.
    const c = await check();
    let worst = 0;
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(c[i * n + j]! - ref[j]!));
    if (!(worst <= 1e-5 * n)) throw new Error(`${implName} n=${n}: wrong product (max error ${worst} in row ${i})`);

    const t0 = performance.now();
    await run();
    const callMs = performance.now() - t0;
    lastCall.set(implName, { n, ms: callMs });
    let medianMs: number;
    let samples: number;
    if (impl.timings) {
      // As many calls as the time budget allows, at least 5, after two warm-up calls.
      await impl.timings(n, 2);
      const times = await impl.timings(n, Math.max(5, Math.min(200, Math.ceil(TIME_MS / Math.max(callMs, 0.05)))));
      medianMs = [...times].sort((x, y) => x - y)[times.length >> 1]!;
      samples = times.length;
    } else {
      const bench = new Bench({
        time: TIME_MS,
        iterations: callMs > 2000 ? 1 : 3,
        warmupTime: quick ? 20 : Math.min(500, 3 * callMs),
        warmupIterations: callMs > 2000 ? 0 : 2,
      });
      bench.add(`${implName} ${n}`, run);
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result.state !== 'completed') throw new Error(`${implName} n=${n}: benchmark ${result.state}`);
      medianMs = result.latency.p50;
      samples = result.latency.samplesCount;
    }
    const gflops = (2 * n ** 3) / (medianMs / 1000) / 1e9;
    rows.push(row({ case: 'matmul-f32', impl: implName, size: n, value: gflops, unit: 'GFLOP/s' }));
    console.log(
      `${implName.padEnd(16)} n=${String(n).padEnd(5)} ${gflops.toFixed(2).padStart(7)} GFLOP/s  (median ${medianMs.toFixed(2)} ms over ${samples} runs)`,
    );
    dispose();
  }
}
for (const impl of impls) await impl.close();

console.log('');
printTable(rows);
console.log(`load average at end: ${loadText()}`);
for (const note of notes) console.log(`note: ${note}`);
if (!quick) console.log(`\nwrote ${writeResults('matmul', rows)}`);
// gemm workers are unref'd; tfjs-wasm and gpu.js hold nothing that keeps Node alive either.

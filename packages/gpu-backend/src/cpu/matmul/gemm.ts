import { availableParallelism } from 'node:os';
import { gemmReference } from './gemm-reference.js';
import { DEFAULT_KERNEL_SHAPE, MEMORY_MAX_PAGES, buildKernelModule, type KernelExports } from './kernel-module.js';
import { packA, packB } from './pack.js';
import { CONTROL, CONTROL_BYTES, runTasks, type BlockFn } from './task-runner.js';
import { startWorkers, type WorkerGroup } from './worker-pool.js';
import { wasm, type WasmMemory, type WasmModule } from './wasm-api.js';

/**
 * Single-precision GEMM on host memory: C = op(A) * op(B), row-major.
 * op(A) is M x K (A stored K x M when transA), op(B) is K x N (B stored N x K
 * when transB). C (M x N) is overwritten.
 */
export interface GemmParams {
  a: Float32Array;
  aOffset: number;
  b: Float32Array;
  bOffset: number;
  c: Float32Array;
  cOffset: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

export { gemmReference } from './gemm-reference.js';

/**
 * How the fast path runs. Blocking follows GotoBLAS/BLIS: a KC-deep slice of
 * an NR-wide B panel stays in L1 while the MC x KC block of A streams from L2.
 */
export interface GemmConfig {
  /** Threads sharing a GEMM, the calling thread included (1: no workers). */
  threads: number;
  /** m*n*k below which the plain reference loops run (no packing). */
  minPackedWork: number;
  /** m*n*k below which the calling thread works alone. */
  minThreadedWork: number;
  /** Whether the calling thread runs tasks too (false: workers do all of them; for tests). */
  callerRunsTasks: boolean;
  /** Depth of a k block. */
  kc: number;
  /** Rows of C per task (rounded to the kernel's MR). */
  mc: number;
  /** Columns of C per task (rounded to the kernel's NR). */
  nc: number;
  /** Largest working set in the shared memory, in f32 values; bigger problems are cut into chunks. */
  maxWorkingSet: number;
}

const DEFAULT_CONFIG: GemmConfig = {
  threads: Math.max(1, availableParallelism()),
  minPackedWork: 16 * 16 * 16,
  minThreadedWork: 64 * 64 * 64,
  callerRunsTasks: true,
  kc: 256,
  mc: 120,
  nc: 512,
  maxWorkingSet: 64 * 2 ** 20,
};

let config: GemmConfig = { ...DEFAULT_CONFIG };

interface Engine {
  module: WasmModule;
  memory: WasmMemory;
  block: BlockFn;
  group: WorkerGroup | null;
  i32: Int32Array;
  i64: BigInt64Array;
  generation: bigint;
}

let engine: Engine | null = null;

function createEngine(module: WasmModule): Engine {
  const memory = new wasm.Memory({ initial: 16, maximum: MEMORY_MAX_PAGES, shared: true });
  const instance = new wasm.Instance(module, { env: { memory } });
  const block = (instance.exports as unknown as KernelExports).block;
  const workers = config.threads - 1;
  return {
    module,
    memory,
    block,
    group: workers > 0 ? startWorkers(workers, memory, module) : null,
    i32: new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4),
    i64: new BigInt64Array(memory.buffer, 0, CONTROL_BYTES / 8),
    generation: 0n,
  };
}

function getEngine(): Engine {
  engine ??= createEngine(new wasm.Module(buildKernelModule(DEFAULT_KERNEL_SHAPE)));
  return engine;
}

/**
 * Compile the kernel and start the workers ahead of the first call (gemm
 * also does it lazily, synchronously). Resolves once the workers run.
 */
export async function initGemm(): Promise<void> {
  if (!engine) {
    const module = await wasm.compile(buildKernelModule(DEFAULT_KERNEL_SHAPE));
    engine ??= createEngine(module);
  }
  await engine.group?.online;
}

/** Stop the workers and free the shared memory; a later gemm starts afresh. */
export async function disposeGemm(): Promise<void> {
  const e = engine;
  engine = null;
  if (!e?.group) return;
  Atomics.store(e.i32, CONTROL.quit, 1);
  Atomics.add(e.i64, 0, 1n << 32n);
  Atomics.notify(e.i64, 0);
  await Promise.all(e.group.workers.map((w) => w.terminate()));
}

/** Change how the fast path runs; a change of thread count restarts the workers. */
export async function configureGemm(changes: Partial<GemmConfig>): Promise<void> {
  const next = { ...config, ...changes };
  if (!Number.isInteger(next.threads) || next.threads < 1) throw new Error(`configureGemm: threads must be an integer >= 1, got ${next.threads}`);
  for (const key of ['kc', 'mc', 'nc', 'maxWorkingSet'] as const) {
    if (!Number.isInteger(next[key]) || next[key] < 1) throw new Error(`configureGemm: ${key} must be a positive integer, got ${next[key]}`);
  }
  const restart = next.threads !== config.threads;
  config = next;
  if (restart) await disposeGemm();
}

export function getGemmConfig(): Readonly<GemmConfig> {
  return { ...config };
}

/** Tasks run by worker threads since the engine started (to check that threads share work). */
export function gemmWorkerTaskCount(): number {
  return engine ? Atomics.load(engine.i32, CONTROL.workerTasks) : 0;
}

function checkOperand(name: string, array: Float32Array, offset: number, size: number): void {
  if (!(array instanceof Float32Array)) throw new TypeError(`gemm: ${name} must be a Float32Array`);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > array.length) {
    throw new RangeError(`gemm: ${name} needs ${size} values from offset ${offset}, but has length ${array.length}`);
  }
}

/** C = op(A) * op(B) (see GemmParams). Synchronous; uses the workers for large problems. */
export function gemm(p: GemmParams): void {
  const { m, n, k } = p;
  for (const [name, v] of [['m', m], ['n', n], ['k', k]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${v}`);
  }
  checkOperand('a', p.a, p.aOffset, m * k);
  checkOperand('b', p.b, p.bOffset, k * n);
  checkOperand('c', p.c, p.cOffset, m * n);
  if (m === 0 || n === 0) return;
  if (k === 0) {
    p.c.fill(0, p.cOffset, p.cOffset + m * n);
    return;
  }
  if (m * n * k < config.minPackedWork) {
    gemmReference(p);
    return;
  }
  gemmPacked(p, getEngine());
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
const ALIGN = 16; // f32 values: 64-byte alignment of each region

function gemmPacked(p: GemmParams, e: Engine): void {
  const { m, n, k } = p;
  const { mr, nr } = DEFAULT_KERNEL_SHAPE;
  const kcMax = config.kc;
  const threaded = e.group !== null && m * n * k >= config.minThreadedWork;

  // Chunks of rows/columns so packed A + packed B + C fit the working set.
  const budget = config.maxWorkingSet;
  let mChunk = roundUp(m, mr);
  if (mChunk * k > budget / 4) mChunk = Math.max(mr, Math.floor(budget / 4 / k / mr) * mr);
  let nChunk = roundUp(n, nr);
  const nFit = Math.floor((budget - mChunk * k) / (k + mChunk) / nr) * nr;
  if (nChunk > nFit) nChunk = Math.max(nr, nFit);

  const aSrc = { data: p.a, offset: p.aOffset, trans: p.transA };
  const bSrc = { data: p.b, offset: p.bOffset, trans: p.transB };
  for (let m0 = 0; m0 < m; m0 += mChunk) {
    const mCount = Math.min(mChunk, m - m0);
    const mPad = roundUp(mCount, mr);
    for (let n0 = 0; n0 < n; n0 += nChunk) {
      const nCount = Math.min(nChunk, n - n0);
      const nPad = roundUp(nCount, nr);
      const aAt = CONTROL_BYTES / 4;
      const bAt = roundUp(aAt + mPad * k, ALIGN);
      const cAt = roundUp(bAt + nPad * k, ALIGN);
      const end = cAt + mPad * nPad;
      const f32 = viewWithCapacity(e, end);
      // A is packed once per row chunk (it does not depend on the columns).
      if (n0 === 0) packA(aSrc, m, k, m0, mCount, mr, kcMax, f32, aAt);
      packB(bSrc, n, k, n0, nCount, nr, kcMax, f32, bAt);
      runJob(e, { mPad, nPad, k, kcMax, mr, nr, aAt, bAt, cAt, threaded });
      // Copy the valid part of the padded C chunk out.
      if (nPad === n && nCount === n) {
        p.c.set(f32.subarray(cAt, cAt + mCount * n), p.cOffset + m0 * n);
      } else {
        for (let r = 0; r < mCount; r++) {
          const s = cAt + r * nPad;
          p.c.set(f32.subarray(s, s + nCount), p.cOffset + (m0 + r) * n + n0);
        }
      }
    }
  }
}

/** A Float32Array over the shared memory, grown to hold `values` values. */
function viewWithCapacity(e: Engine, values: number): Float32Array {
  const bytes = values * 4;
  const have = e.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / 65536);
    if (have / 65536 + pages > MEMORY_MAX_PAGES) throw new RangeError(`gemm: working set of ${bytes} bytes exceeds the 4 GiB of WebAssembly memory`);
    e.memory.grow(pages);
  }
  return new Float32Array(e.memory.buffer);
}

interface Job {
  mPad: number;
  nPad: number;
  k: number;
  kcMax: number;
  mr: number;
  nr: number;
  aAt: number;
  bAt: number;
  cAt: number;
  threaded: boolean;
}

function runJob(e: Engine, job: Job): void {
  const { mPad, nPad, mr, nr, threaded } = job;
  let mc = Math.min(roundUp(config.mc, mr), mPad);
  let nc = Math.min(roundUp(config.nc, nr), nPad);
  if (threaded) {
    // Enough tasks that threads balance even when a core is busy elsewhere.
    const want = 4 * config.threads;
    const mBlocks = Math.ceil(mPad / mc);
    if (mBlocks * Math.ceil(nPad / nc) < want) {
      nc = Math.max(nr, roundUp(Math.ceil(nPad / Math.ceil(want / mBlocks)), nr));
      if (mBlocks * Math.ceil(nPad / nc) < want) {
        mc = Math.max(mr, roundUp(Math.ceil(mPad / Math.ceil(want / Math.ceil(nPad / nc))), mr));
      }
    }
  }
  const mBlocks = Math.ceil(mPad / mc);
  const numTasks = mBlocks * Math.ceil(nPad / nc);
  const { i32, i64 } = e;
  const L = CONTROL;
  i32[L.mBlocks] = mBlocks;
  i32[L.mc] = mc;
  i32[L.nc] = nc;
  i32[L.kcMax] = job.kcMax;
  i32[L.k] = job.k;
  i32[L.mPad] = mPad;
  i32[L.nPad] = nPad;
  i32[L.aPtr] = job.aAt * 4;
  i32[L.bPtr] = job.bAt * 4;
  i32[L.cPtr] = job.cAt * 4;
  i32[L.mr] = mr;
  i32[L.nr] = nr;
  Atomics.store(i32, L.numTasks, numTasks);
  Atomics.store(i32, L.tasksDone, 0);
  e.generation += 1n;
  Atomics.store(i64, 0, e.generation << 32n);
  if (threaded) Atomics.notify(i64, 0);
  if (!threaded || config.callerRunsTasks) {
    runTasks(i32, i64, e.block, L, false);
  }
  for (;;) {
    const done = Atomics.load(i32, L.tasksDone);
    if (done === numTasks) break;
    // The timeout is a safety net: should a worker have died, the tasks it
    // never claimed are taken here rather than waited for.
    if (Atomics.wait(i32, L.tasksDone, done, 100) === 'timed-out') runTasks(i32, i64, e.block, L, false);
  }
}

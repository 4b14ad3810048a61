import { availableParallelism } from 'node:os';
import { gemmReference } from './gemm-reference.js';
import {
  DEFAULT_KERNEL_SHAPE,
  MEMORY_MAX_PAGES,
  buildKernelModule,
  type KernelExports,
  type KernelShape,
} from './kernel-module.js';
import {
  CLAIMS_CLOSED,
  CONTROL,
  CONTROL_BYTES,
  JOB_COMPUTE,
  JOB_PACK,
  runTasks,
  type TaskFunctions,
} from './task-runner.js';
import { relaxedSimdAvailable } from './relaxed-simd.js';
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
  /** Register tile of the micro-kernel (mr >= 4, nr a multiple of 4). */
  kernel: KernelShape;
}

const DEFAULT_CONFIG: GemmConfig = {
  threads: Math.max(1, availableParallelism()),
  minPackedWork: 16 * 16 * 16,
  // Waking a worker costs tens of microseconds: below ~128^3 one thread is faster.
  minThreadedWork: 128 * 128 * 128,
  callerRunsTasks: true,
  kc: 256,
  mc: 120,
  nc: 512,
  maxWorkingSet: 64 * 2 ** 20,
  kernel: { ...DEFAULT_KERNEL_SHAPE, fma: relaxedSimdAvailable() },
};

let config: GemmConfig = { ...DEFAULT_CONFIG };

export interface Engine {
  kernel: KernelShape;
  module: WasmModule;
  memory: WasmMemory;
  fns: TaskFunctions & KernelExports;
  group: WorkerGroup | null;
  i32: Int32Array;
  i64: BigInt64Array;
  generation: bigint;
  /** A Float32Array over the whole shared memory as last grown. */
  view: Float32Array | null;
}

let engine: Engine | null = null;

function createEngine(module: WasmModule, kernel: KernelShape): Engine {
  const memory = new wasm.Memory({ initial: 16, maximum: MEMORY_MAX_PAGES, shared: true });
  const instance = new wasm.Instance(module, { env: { memory } });
  const workers = config.threads - 1;
  return {
    kernel,
    module,
    memory,
    fns: instance.exports as unknown as TaskFunctions & KernelExports,
    group: workers > 0 ? startWorkers(workers, memory, module) : null,
    i32: new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4),
    i64: new BigInt64Array(memory.buffer, 0, CONTROL_BYTES / 8),
    generation: 0n,
    view: null,
  };
}

/** The engine (compiled module, shared memory, workers), started on first use. */
export function getEngine(): Engine {
  engine ??= createEngine(new wasm.Module(buildKernelModule(config.kernel)), config.kernel);
  return engine;
}

/**
 * Compile the kernel and start the workers ahead of the first call (gemm
 * also does it lazily, synchronously). Resolves once the workers run.
 */
export async function initGemm(): Promise<void> {
  if (!engine) {
    const kernel = config.kernel;
    const module = await wasm.compile(buildKernelModule(kernel));
    engine ??= createEngine(module, kernel);
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
  if (!Number.isInteger(next.threads) || next.threads < 1)
    throw new Error(`configureGemm: threads must be an integer >= 1, got ${next.threads}`);
  for (const key of ['kc', 'mc', 'nc', 'maxWorkingSet'] as const) {
    if (!Number.isInteger(next[key]) || next[key] < 1)
      throw new Error(`configureGemm: ${key} must be a positive integer, got ${next[key]}`);
  }
  const { mr, nr, unroll, fma } = next.kernel;
  if (!(
    Number.isInteger(mr) &&
    mr >= 4 &&
    Number.isInteger(nr) &&
    nr >= 4 &&
    nr % 4 === 0 &&
    Number.isInteger(unroll) &&
    unroll >= 1 &&
    (fma === undefined || typeof fma === 'boolean')
  )) {
    throw new Error(
      `configureGemm: kernel needs integer mr >= 4, nr a multiple of 4, unroll >= 1, fma a boolean; got ${JSON.stringify(next.kernel)}`,
    );
  }
  if (fma === true && !relaxedSimdAvailable())
    throw new Error('configureGemm: kernel.fma needs WebAssembly relaxed SIMD, which this runtime does not compile');
  const restart =
    next.threads !== config.threads ||
    mr !== config.kernel.mr ||
    nr !== config.kernel.nr ||
    unroll !== config.kernel.unroll ||
    (fma ?? false) !== (config.kernel.fma ?? false);
  config = next;
  if (restart) await disposeGemm();
}

export function getGemmConfig(): Readonly<GemmConfig> {
  return { ...config, kernel: { ...config.kernel } };
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
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
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
/** Values read past a raw operand by the contiguous packer's last vector. */
const RAW_SLACK = 64;

/**
 * The packed path. Per chunk of rows and columns (one chunk unless the
 * problem exceeds the working set): copy the operands' chunks into the shared
 * memory, pack them in parallel (one job), multiply in parallel (a second
 * job), copy the padded C out.
 */
function gemmPacked(p: GemmParams, e: Engine): void {
  const { m, n, k } = p;
  const { mr, nr } = e.kernel;
  const threaded = e.group !== null && m * n * k >= config.minThreadedWork;

  // Chunks so raw + packed operands and C fit the working set.
  const budget = config.maxWorkingSet;
  // Both multiples of the tile, so every chunk but the last is padding-free.
  let mChunk = roundUp(m, mr);
  if (2 * mChunk * k > budget / 4) mChunk = Math.max(mr, Math.floor(budget / 8 / k / mr) * mr);
  let nChunk = roundUp(n, nr);
  const nFit = Math.floor((budget - 2 * mChunk * k) / (2 * k + mChunk) / nr) * nr;
  if (nChunk > nFit) nChunk = Math.max(nr, nFit);

  for (let m0 = 0; m0 < m; m0 += mChunk) {
    const mCount = Math.min(mChunk, m - m0);
    const mPad = roundUp(mCount, mr);
    for (let n0 = 0; n0 < n; n0 += nChunk) {
      const nCount = Math.min(nChunk, n - n0);
      const nPad = roundUp(nCount, nr);
      // The layout is sized for full chunks: packed A must stay put across column chunks.
      const aRaw = CONTROL_BYTES / 4;
      const bRaw = roundUp(aRaw + mChunk * k + RAW_SLACK, ALIGN);
      const aPacked = roundUp(bRaw + nChunk * k + RAW_SLACK, ALIGN);
      const bPacked = roundUp(aPacked + mChunk * k, ALIGN);
      const cAt = roundUp(bPacked + nChunk * k, ALIGN);
      const f32 = viewWithCapacity(e, cAt + mChunk * nChunk);
      // A (rows m0..) is copied once per row chunk; B per chunk.
      if (n0 === 0) copyLanes(p.a, p.aOffset, p.transA, m, k, m0, mCount, f32, aRaw);
      copyLanes(p.b, p.bOffset, !p.transB, n, k, n0, nCount, f32, bRaw);
      runPack(e, {
        mPad,
        nPad,
        mCount,
        nCount,
        k,
        mr,
        nr,
        aRaw,
        bRaw,
        aPacked,
        bPacked,
        aContig: p.transA,
        bContig: !p.transB,
        packA: n0 === 0,
        threaded,
      });
      runCompute(e, { mPad, nPad, k, mr, nr, aPacked, bPacked, cAt, threaded });
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

/**
 * Copy lanes [l0, l0 + count) of an operand with `lanes` lanes (rows of op(A)
 * or columns of op(B)) and depth k into `dst`. `kMajor`: the operand is stored
 * k x lanes (else lanes x k). The copy keeps the order, with `count` as its
 * lane stride.
 */
function copyLanes(
  src: Float32Array,
  offset: number,
  kMajor: boolean,
  lanes: number,
  k: number,
  l0: number,
  count: number,
  dst: Float32Array,
  at: number,
): void {
  if (!kMajor) {
    dst.set(src.subarray(offset + l0 * k, offset + (l0 + count) * k), at);
  } else if (count === lanes) {
    dst.set(src.subarray(offset, offset + k * lanes), at);
  } else {
    for (let kk = 0; kk < k; kk++) {
      const s = offset + kk * lanes + l0;
      dst.set(src.subarray(s, s + count), at + kk * count);
    }
  }
}

/** A Float32Array over the shared memory, grown to hold `values` values. */
export function viewWithCapacity(e: Engine, values: number): Float32Array {
  // The view is kept while it is big enough: only this thread grows the memory.
  if (e.view && e.view.length >= values) return e.view;
  const bytes = values * 4;
  const have = e.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / 65536);
    if (have / 65536 + pages > MEMORY_MAX_PAGES)
      throw new RangeError(`gemm: working set of ${bytes} bytes exceeds the 4 GiB of WebAssembly memory`);
    e.memory.grow(pages);
  }
  e.view = new Float32Array(e.memory.buffer);
  return e.view;
}

interface PackJob {
  mPad: number;
  nPad: number;
  mCount: number;
  nCount: number;
  k: number;
  mr: number;
  nr: number;
  aRaw: number;
  bRaw: number;
  aPacked: number;
  bPacked: number;
  /** Whether the W values of one k step are adjacent in the raw copy. */
  aContig: boolean;
  bContig: boolean;
  /** False when A of this row chunk is already packed. */
  packA: boolean;
  threaded: boolean;
}

function runPack(e: Engine, job: PackJob): void {
  const { mPad, nPad, k, mr, nr, threaded } = job;
  const kcMax = config.kc;
  if (!threaded) {
    packDirect(e, job, kcMax);
    return;
  }
  const kBlocks = Math.ceil(k / kcMax);
  const aPanels = mPad / mr;
  const bPanels = nPad / nr;
  // Panels per task: a few tasks per thread, none tiny.
  const share = (panels: number) => (threaded ? Math.max(4, Math.ceil(panels / (2 * config.threads))) : panels);
  const aGroup = share(aPanels);
  const bGroup = share(bPanels);
  const aGroups = job.packA ? Math.ceil(aPanels / aGroup) : 0;
  const bGroups = Math.ceil(bPanels / bGroup);
  beginJob(e);
  const i32 = e.i32;
  const L = CONTROL;
  i32[L.kind] = JOB_PACK;
  i32[L.kcMax] = kcMax;
  i32[L.k] = k;
  i32[L.mPad] = mPad;
  i32[L.nPad] = nPad;
  i32[L.aPtr] = job.aPacked * 4;
  i32[L.bPtr] = job.bPacked * 4;
  i32[L.mr] = mr;
  i32[L.nr] = nr;
  i32[L.aRaw] = job.aRaw * 4;
  i32[L.aContig] = job.aContig ? 1 : 0;
  // Contiguous: bytes per k step (the lane count); strided: bytes per lane (k).
  i32[L.aStride] = (job.aContig ? job.mCount : k) * 4;
  i32[L.aGroup] = aGroup;
  i32[L.aGroups] = aGroups;
  i32[L.aLastValid] = job.mCount - (aPanels - 1) * mr;
  i32[L.bRaw] = job.bRaw * 4;
  i32[L.bContig] = job.bContig ? 1 : 0;
  i32[L.bStride] = (job.bContig ? job.nCount : k) * 4;
  i32[L.bGroup] = bGroup;
  i32[L.bGroups] = bGroups;
  i32[L.bLastValid] = job.nCount - (bPanels - 1) * nr;
  publish(e, kBlocks * (aGroups + bGroups), threaded);
}

interface ComputeJob {
  mPad: number;
  nPad: number;
  k: number;
  mr: number;
  nr: number;
  aPacked: number;
  bPacked: number;
  cAt: number;
  threaded: boolean;
}

function runCompute(e: Engine, job: ComputeJob): void {
  const { mPad, nPad, mr, nr, threaded } = job;
  let mc = Math.min(roundUp(config.mc, mr), mPad);
  let nc = Math.min(roundUp(config.nc, nr), nPad);
  if (!threaded) {
    computeDirect(e, job, mc, nc);
    return;
  }
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
  beginJob(e);
  const i32 = e.i32;
  const L = CONTROL;
  i32[L.kind] = JOB_COMPUTE;
  i32[L.mBlocks] = mBlocks;
  i32[L.mc] = mc;
  i32[L.nc] = nc;
  i32[L.kcMax] = config.kc;
  i32[L.k] = job.k;
  i32[L.mPad] = mPad;
  i32[L.nPad] = nPad;
  i32[L.aPtr] = job.aPacked * 4;
  i32[L.bPtr] = job.bPacked * 4;
  i32[L.cPtr] = job.cAt * 4;
  i32[L.mr] = mr;
  i32[L.nr] = nr;
  publish(e, mBlocks * Math.ceil(nPad / nc), threaded);
}

/*
 * One thread: the same calls as the tasks of task-runner.ts, made directly,
 * without the control block, claiming or atomics (a few microseconds per
 * job that small products, such as attention's per-block GEMMs, feel).
 */

function packDirect(e: Engine, job: PackJob, kcMax: number): void {
  const { mPad, nPad, k, mr, nr } = job;
  const f = e.fns;
  const aStride = (job.aContig ? job.mCount : k) * 4;
  const bStride = (job.bContig ? job.nCount : k) * 4;
  const aPanels = mPad / mr;
  const bPanels = nPad / nr;
  const aLastValid = job.mCount - (aPanels - 1) * mr;
  const bLastValid = job.nCount - (bPanels - 1) * nr;
  for (let k0 = 0; k0 < k; k0 += kcMax) {
    const kc = Math.min(kcMax, k - k0);
    if (job.packA) {
      const dst = (job.aPacked + k0 * mPad) * 4;
      if (job.aContig) f.pack_a_contig(job.aRaw * 4 + k0 * aStride, aStride, dst, kc, aPanels);
      else f.pack_a_strided(job.aRaw * 4 + k0 * 4, aStride, dst, kc, aPanels, aLastValid);
    }
    const dst = (job.bPacked + k0 * nPad) * 4;
    if (job.bContig) f.pack_b_contig(job.bRaw * 4 + k0 * bStride, bStride, dst, kc, bPanels);
    else f.pack_b_strided(job.bRaw * 4 + k0 * 4, bStride, dst, kc, bPanels, bLastValid);
  }
}

function computeDirect(e: Engine, job: ComputeJob, mc: number, nc: number): void {
  const { mPad, nPad, k, mr, nr } = job;
  const kcMax = config.kc;
  for (let c0 = 0; c0 < nPad; c0 += nc) {
    const nPanels = Math.min(nc, nPad - c0) / nr;
    for (let r0 = 0; r0 < mPad; r0 += mc) {
      const mPanels = Math.min(mc, mPad - r0) / mr;
      const cTile = (job.cAt + r0 * nPad + c0) * 4;
      for (let k0 = 0; k0 < k; k0 += kcMax) {
        const kc = Math.min(kcMax, k - k0);
        e.fns.block(
          (job.aPacked + k0 * mPad + r0 * kc) * 4,
          (job.bPacked + k0 * nPad + c0 * kc) * 4,
          cTile,
          nPad * 4,
          mPanels,
          nPanels,
          kc,
          k0 > 0 ? 1 : 0,
        );
      }
    }
  }
}

/**
 * Close claiming before a job's parameters are rewritten: the state moves to
 * the next generation with the "closed" task index, so a claim prepared
 * under the previous job can no longer succeed.
 */
function beginJob(e: Engine): void {
  e.generation += 1n;
  Atomics.store(e.i64, 0, (e.generation << 32n) | CLAIMS_CLOSED);
}

/** Open the job whose parameters are written, run tasks, return when all are done. */
function publish(e: Engine, numTasks: number, threaded: boolean): void {
  const { i32, i64 } = e;
  const L = CONTROL;
  Atomics.store(i32, L.numTasks, numTasks);
  Atomics.store(i32, L.tasksDone, 0);
  Atomics.store(i64, 0, e.generation << 32n);
  if (threaded) Atomics.notify(i64, 0);
  if (!threaded || config.callerRunsTasks) runTasks(i32, i64, e.fns, L, false);
  for (;;) {
    const done = Atomics.load(i32, L.tasksDone);
    if (done === numTasks) break;
    if (done > numTasks) throw new Error(`gemm: internal error: ${done} tasks finished of ${numTasks}`);
    // The timeout is a safety net: should a worker have died, the tasks it
    // never claimed are taken here rather than waited for.
    if (Atomics.wait(i32, L.tasksDone, done, 100) === 'timed-out') runTasks(i32, i64, e.fns, L, false);
  }
  if (Atomics.exchange(i32, L.failed, 0) !== 0) {
    const cause = e.group?.errors.at(-1);
    throw new Error(`gemm: a worker thread failed while running a task${cause ? `: ${cause.message}` : ''}`, { cause });
  }
}

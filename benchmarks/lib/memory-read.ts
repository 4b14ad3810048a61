/**
 * The memory-read bound of decoding: how fast this process can stream a
 * buffer the size of the weights from memory, measured by the simplest
 * programs that read it (never through the backend's kernels, whose speed
 * is what the bound is compared with):
 *
 * - `js-loop`: a tight JavaScript loop summing a Float32Array (four
 *   accumulators). On x86 it is bound by the loop, not the memory, at a few GB/s.
 * - `wasm-simd`: a 12-instruction WebAssembly loop adding 64 bytes per
 *   iteration into four f32x4 accumulators: the same plain sum, 16 bytes per
 *   load, which is what a single core needs to reach DRAM speed.
 *
 * - `wasm-simd-threads` (`measureMemoryReadThreaded`): the same loop on every
 *   core at once, each worker thread summing its slice of one shared memory.
 *   A decode that splits its weights across the cores is bound by this rate,
 *   not by one core's.
 *
 * The bound is the fastest of them; each, and numpy's sum on the PyTorch side
 * (vs-torch), are reported as rows.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Body of `sum(ptr, end) -> f32` over [ptr, end) of the imported memory, 64 bytes per step (ptr < end, multiples of 64). */
// prettier-ignore
const SUM_BODY = [
  0x01, 0x04, 0x7b, // 4 v128 locals (2..5)
  0x03, 0x40, // loop
  ...[0, 16, 32, 48].flatMap((offset, i) => [
    0x20, 2 + i, 0x20, 0x00, 0xfd, 0x00, 0x04, offset, 0xfd, 0xe4, 0x01, 0x21, 2 + i, // acc_i += load(p + offset)
  ]),
  0x20, 0x00, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x00, // p += 64
  0x20, 0x00, 0x20, 0x01, 0x49, 0x0d, 0x00, // br_if loop (p < end)
  0x0b,
  0x20, 0x02, 0x20, 0x03, 0xfd, 0xe4, 0x01, 0x20, 0x04, 0xfd, 0xe4, 0x01, 0x20, 0x05, 0xfd, 0xe4, 0x01, 0x21, 0x02, // acc0 += acc1 + acc2 + acc3
  0x20, 0x02, 0xfd, 0x1f, 0x00, 0x20, 0x02, 0xfd, 0x1f, 0x01, 0x92, 0x20, 0x02, 0xfd, 0x1f, 0x02, 0x92, 0x20, 0x02, 0xfd, 0x1f, 0x03, 0x92, // its four lanes added
  0x0b,
];

function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/**
 * The module around it: imports env.memory with the given limits (flags, then the
 * LEB128 sizes in pages), exports `sum`.
 */
function sumModule(limits: number[]): Uint8Array {
  const importEntry = [0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, ...limits];
  // prettier-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7d, // type: (i32, i32) -> f32
    0x02, importEntry.length, ...importEntry, // import env.memory
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x07, 0x07, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x00, // export "sum"
    0x0a, SUM_BODY.length + 2, 0x01, SUM_BODY.length, ...SUM_BODY, // code (both sizes < 128: one LEB byte each)
  ]);
}

/** Importing any memory of at least one page. */
const SUM_MODULE = sumModule([0x00, 0x01]);

/** Importing a shared memory of exactly `pages` pages (a shared import must state its maximum). */
const sharedSumModule = (pages: number) => sumModule([0x03, ...leb128(pages), ...leb128(pages)]);

interface WasmGlobal {
  Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => { buffer: ArrayBuffer };
  Instance: new (m: unknown, i: unknown) => { exports: { sum(p: number, end: number): number } };
  Module: new (b: Uint8Array) => unknown;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

export interface MemoryReadResult {
  /** GB/s of each reader, median of the timed passes. */
  gbPerSecond: { 'js-loop': number; 'wasm-simd': number };
  /** The faster reader's GB/s. */
  best: number;
  bytes: number;
}

function jsSum(x: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = x.length & ~3;
  for (let i = 0; i < n; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  return s0 + s1 + s2 + s3;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Stream-read a buffer of `bytes` (rounded up to 64 KiB, at most 4 GiB) `passes` times with each reader,
 * after one untimed pass that faults the pages in.
 */
export function measureMemoryRead(bytes: number, passes = 5): MemoryReadResult {
  const pages = Math.ceil(bytes / 65536);
  if (pages > 65536) throw new RangeError(`measureMemoryRead: ${bytes} bytes exceed the 4 GiB a wasm memory holds`);
  const memory = new wasm.Memory({ initial: pages, maximum: pages });
  const size = pages * 65536;
  const f32 = new Float32Array(memory.buffer);
  f32.fill(1);
  const { sum } = new wasm.Instance(new wasm.Module(SUM_MODULE), { env: { memory } }).exports;
  // Small calls first so both loops are optimised before the timed passes.
  for (let i = 0; i < 200; i++) {
    jsSum(f32.subarray(0, 16384));
    sum(0, 65536);
  }
  // A sum of ones: exact in the JS loop's float64 accumulators; each of the wasm loop's 16 float32
  // lanes stops growing at 2^24 (adding 1 no longer changes it), so its sum is exact too.
  const ones = size / 4;
  const expectedSimd = 16 * Math.min(ones / 16, 2 ** 24);
  const times: Record<'js-loop' | 'wasm-simd', number[]> = { 'js-loop': [], 'wasm-simd': [] };
  for (let p = 0; p <= passes; p++) {
    let t = performance.now();
    const js = jsSum(f32);
    const jsMs = performance.now() - t;
    t = performance.now();
    const simd = sum(0, size);
    const simdMs = performance.now() - t;
    if (js !== ones || simd !== expectedSimd)
      throw new Error(`measureMemoryRead: wrong sums ${js}, ${simd} (expected ${ones}, ${expectedSimd})`);
    if (p === 0) continue;
    times['js-loop'].push(jsMs);
    times['wasm-simd'].push(simdMs);
  }
  const gb = (ms: number) => size / (ms / 1000) / 1e9;
  const gbPerSecond = { 'js-loop': gb(median(times['js-loop'])), 'wasm-simd': gb(median(times['wasm-simd'])) };
  return { gbPerSecond, best: Math.max(gbPerSecond['js-loop'], gbPerSecond['wasm-simd']), bytes: size };
}

/** A worker: instantiates the shared sum module and sums each [start, end) it is sent. */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const { sum } = new WebAssembly.Instance(new WebAssembly.Module(workerData.module), { env: { memory: workerData.memory } }).exports;
parentPort.on('message', ({ start, end }) => parentPort.postMessage(sum(start, end)));
`;

export interface ThreadedMemoryReadResult {
  /** GB/s of all threads together (the buffer's bytes over the slowest thread's wall time), median of the passes. */
  gbPerSecond: number;
  threads: number;
  bytes: number;
}

/**
 * Stream-read a buffer of `bytes` (rounded up to 64 KiB, at most 4 GiB) with the wasm SIMD sum on
 * `threads` worker threads at once (default: every processor), each its own contiguous slice,
 * `passes` timed passes after one that faults the pages in.
 */
export async function measureMemoryReadThreaded(
  bytes: number,
  threads = availableParallelism(),
  passes = 5,
): Promise<ThreadedMemoryReadResult> {
  const pages = Math.ceil(bytes / 65536);
  if (pages > 65536)
    throw new RangeError(`measureMemoryReadThreaded: ${bytes} bytes exceed the 4 GiB a wasm memory holds`);
  const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  const size = pages * 65536;
  new Float32Array(memory.buffer).fill(1);
  const module = sharedSumModule(pages);
  const workers = Array.from(
    { length: threads },
    () => new Worker(READER, { eval: true, workerData: { memory, module } }),
  );
  try {
    // Slices of whole 64-byte steps; the last takes the rest.
    const step = Math.floor(size / threads / 64) * 64;
    const slices = workers.map((_, t) => ({ start: t * step, end: t === threads - 1 ? size : (t + 1) * step }));
    const ask = (w: Worker, slice: { start: number; end: number }) =>
      new Promise<number>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.postMessage(slice);
      });
    const times: number[] = [];
    for (let p = 0; p <= passes; p++) {
      const t = performance.now();
      const sums = await Promise.all(workers.map((w, i) => ask(w, slices[i]!)));
      const ms = performance.now() - t;
      sums.forEach((got, i) => {
        const ones = (slices[i]!.end - slices[i]!.start) / 4;
        const expected = 16 * Math.min(ones / 16, 2 ** 24);
        if (got !== expected)
          throw new Error(`measureMemoryReadThreaded: thread ${i} summed ${got}, expected ${expected}`);
      });
      if (p > 0) times.push(ms);
    }
    return { gbPerSecond: size / (median(times) / 1000) / 1e9, threads, bytes: size };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

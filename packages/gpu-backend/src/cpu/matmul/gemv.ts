/**
 * Matrix-vector products for a few rows of A against a weight matrix stored
 * as rows (C = op(A) B^T, B [n, k], the layout of a linear layer), B read in
 * its storage dtype: float32, or bfloat16/float16 bits widened in registers.
 * This is decoding's product (one or a few tokens against every weight), where
 * the GEMM's packing would copy B twice for a single pass over it.
 *
 * B streams through the engine's shared memory in chunks of rows small enough
 * to stay in L2 (one copy, then the dot products read it from cache); A and
 * the chunk's outputs stay there too. One thread: the copy of B out of the
 * JavaScript heap is the bound, and only this thread can read that heap.
 */
import { CONTROL_BYTES } from './task-runner.js';
import { getEngine, viewWithCapacity } from './gemm.js';
import type { GemvElement } from './gemv-kernels.js';

export type { GemvElement } from './gemv-kernels.js';

/** Bytes of B per chunk: well inside L2, large enough that the per-chunk call overhead vanishes. */
const CHUNK_BYTES = 192 * 1024;

export interface GemvParams {
  a: Float32Array;
  aOffset: number;
  /** A stored k x m (else m x k). */
  transA: boolean;
  /** B [n, k] row-major: Float32Array for 'f32', raw 16-bit patterns for 'bf16'/'f16'. */
  b: Float32Array | Uint16Array;
  bOffset: number;
  element: GemvElement;
  c: Float32Array;
  cOffset: number;
  m: number;
  n: number;
  k: number;
}

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;

let calls = 0;

/** Products run through gemv since the process started (to check which path a matmul took). */
export function gemvCallCount(): number {
  return calls;
}

function checkRange(name: string, length: number, offset: number, size: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + size > length)
    throw new RangeError(`gemv: ${name} needs ${size} values from offset ${offset}, but has length ${length}`);
}

/** C (m x n) = op(A) (m x k) B^T, B stored [n, k]. Synchronous, on the calling thread. */
export function gemv(p: GemvParams): void {
  const { m, n, k, element } = p;
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`gemv: ${name} must be a non-negative integer, got ${v}`);
  }
  if (element === 'f32' ? !(p.b instanceof Float32Array) : !(p.b instanceof Uint16Array))
    throw new TypeError(
      `gemv: b must be a ${element === 'f32' ? 'Float32Array' : 'Uint16Array'} for element '${element}'`,
    );
  checkRange('a', p.a.length, p.aOffset, m * k);
  checkRange('b', p.b.length, p.bOffset, n * k);
  checkRange('c', p.c.length, p.cOffset, m * n);
  if (m === 0 || n === 0) return;
  calls++;
  if (k === 0) {
    p.c.fill(0, p.cOffset, p.cOffset + m * n);
    return;
  }
  const e = getEngine();
  const eb = element === 'f32' ? 4 : 2;
  // Rows padded to a multiple of 8 with zeros (0 * 0 adds nothing), so the kernel has no tail.
  const kp = roundUp(k, 8);
  const rowsPerChunk = Math.max(1, Math.min(n, Math.floor(CHUNK_BYTES / (kp * eb))));
  const aAt = CONTROL_BYTES / 4;
  const cAt = roundUp(aAt + m * kp, 16);
  const bAtBytes = roundUp((cAt + m * rowsPerChunk) * 4, 64);
  const f32 = viewWithCapacity(e, bAtBytes / 4 + Math.ceil((rowsPerChunk * kp * eb) / 4));
  const bView =
    element === 'f32' ? f32.subarray(bAtBytes / 4) : new Uint16Array(f32.buffer, bAtBytes, rowsPerChunk * kp);

  // A, row-major with row stride kp.
  if (kp !== k) f32.fill(0, aAt, aAt + m * kp);
  if (p.transA) {
    for (let i = 0; i < m; i++) for (let kk = 0; kk < k; kk++) f32[aAt + i * kp + kk] = p.a[p.aOffset + kk * m + i]!;
  } else if (kp === k) {
    f32.set(p.a.subarray(p.aOffset, p.aOffset + m * k), aAt);
  } else {
    for (let i = 0; i < m; i++) f32.set(p.a.subarray(p.aOffset + i * k, p.aOffset + (i + 1) * k), aAt + i * kp);
  }
  if (kp !== k) bView.fill(0, 0, rowsPerChunk * kp);
  const dot = element === 'f32' ? e.fns.dot_f32 : element === 'bf16' ? e.fns.dot_bf16 : e.fns.dot_f16;
  for (let j0 = 0; j0 < n; j0 += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, n - j0);
    const src = p.bOffset + j0 * k;
    if (kp === k) (bView as Float32Array).set(p.b.subarray(src, src + rows * k) as Float32Array);
    else {
      for (let r = 0; r < rows; r++)
        (bView as Float32Array).set(p.b.subarray(src + r * k, src + (r + 1) * k) as Float32Array, r * kp);
    }
    dot(aAt * 4, bAtBytes, cAt * 4, m, kp, rows);
    for (let i = 0; i < m; i++) {
      const from = cAt + i * rows;
      p.c.set(f32.subarray(from, from + rows), p.cOffset + i * n + j0);
    }
  }
}

import { createRequire } from 'node:module';

/** What the compiled addon exports (native/addon.c). */
export interface NativeAddon {
  /** C = alpha op(A) op(B) + beta C; `params` laid out as PARAMS (see sgemm.ts). */
  sgemm(a: Float32Array, b: Float32Array | Uint16Array, c: Float32Array, params: Float64Array): void;
  /** C = op(A) op(B), B stored [n, k] (op(B) = B^T) or [k, n]; `params` laid out as in gemv.ts. */
  gemv(a: Float32Array, b: Float32Array | Uint16Array, c: Float32Array, params: Float64Array): void;
  /** out[i] = a[i] + b[i] * s, each operation rounded to float32 on its own (see elementwise.ts). */
  scaleAdd(a: Float32Array, b: Float32Array, out: Float32Array, s: number): void;
  /** Inverted dropout by the Philox stream (see dropout.ts). */
  dropout(
    x: Float32Array,
    out: Float32Array,
    first: number,
    k0: number,
    k1: number,
    keepFrom: number,
    scale: number,
  ): void;
  /** RMSNorm over rows of weight.length, the cpu backend's WebAssembly kernel's bits (see rms-norm.ts). */
  rmsNorm(x: Float32Array, weight: Float32Array, y: Float32Array, eps: number): void;
  /** RMSNorm's gradient over rows of weight.length (see rms-norm.ts). */
  rmsNormGrad(
    dy: Float32Array,
    x: Float32Array,
    weight: Float32Array,
    dx: Float32Array,
    dweight: Float32Array,
    eps: number,
  ): void;
  /** RMSNorm then the rotary embedding, [b, t, h, d] into [b, h, t, d] (see rms-norm.ts). */
  rmsNormRope(
    x: Float32Array,
    weight: Float32Array,
    positions: Int32Array,
    cos: Float32Array,
    sin: Float32Array,
    y: Float32Array,
    t: number,
    heads: number,
    eps: number,
  ): void;
  /** rmsNormRope's gradient (see rms-norm.ts). */
  rmsNormRopeGrad(
    dy: Float32Array,
    x: Float32Array,
    weight: Float32Array,
    positions: Int32Array,
    cos: Float32Array,
    sin: Float32Array,
    dx: Float32Array,
    dweight: Float32Array,
    t: number,
    heads: number,
    eps: number,
  ): void;
  info(): NativeInfo;
  setThreads(threads: number): number;
  setIsa(isa: string): NativeInfo;
  setBlocking(kc: number, mc: number, nc: number, passBudget: number): void;
  releaseMemory(): void;
}

/** The instruction sets a build may hold a micro-kernel for, fastest first. */
export type NativeIsa = 'avx512f' | 'avx2' | 'generic';

/** The GEMM in use: its micro-kernel, cache blocking and thread pool. */
export interface NativeInfo {
  /** The micro-kernel's instruction set. */
  isa: NativeIsa;
  /** Register tile: rows (mr) and columns (nr) of C per micro-kernel call. */
  mr: number;
  nr: number;
  /** Default blocking: k steps per block, rows and columns of C per task. */
  kc: number;
  mc: number;
  nc: number;
  /** Threads a GEMM uses, the calling thread included. */
  threads: number;
  /** Processors this process may run on. */
  processors: number;
  /** The instruction sets this CPU and build run, fastest first ('generic' always). */
  isas: NativeIsa[];
}

/** The compiled addon, loaded synchronously (throws MOLRL_NATIVE_NOT_BUILT when it was never built). */
export const addon = createRequire(import.meta.url)('../addon.cjs') as NativeAddon;

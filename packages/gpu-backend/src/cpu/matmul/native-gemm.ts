/**
 * The optional native GEMM (@molrl/cpu-native, a C addon built by node-gyp at
 * install): loaded on first use, kept only if its self-test against the
 * reference GEMM passes, else the WebAssembly GEMM runs. The package is an
 * optional dependency: when it is absent, unbuilt or fails, nothing else changes.
 */
import { createRequire } from 'node:module';
import { gemmReference } from './gemm-reference.js';

/**
 * The addon as this backend calls it. Declared by shape so that these types
 * stand without the optional package; a type test keeps it equal to
 * @molrl/cpu-native's own `NativeAddon`.
 */
export interface NativeGemmAddon {
  sgemm(a: Float32Array, b: Float32Array | Uint16Array, c: Float32Array, params: Float64Array): void;
  gemv(a: Float32Array, b: Float32Array | Uint16Array, c: Float32Array, params: Float64Array): void;
  /** Absent from builds older than it (the backend then loops in JavaScript). */
  scaleAdd?(a: Float32Array, b: Float32Array, out: Float32Array, s: number): void;
  /** Absent from builds older than it (the backend then draws in WebAssembly). */
  dropout?(
    x: Float32Array,
    out: Float32Array,
    first: number,
    k0: number,
    k1: number,
    keepFrom: number,
    scale: number,
  ): void;
  /** Absent from builds older than it (the backend then runs its WebAssembly kernel; the same bits). */
  rmsNorm?(x: Float32Array, weight: Float32Array, y: Float32Array, eps: number): void;
  /** Absent from builds older than it (the backend then runs its JavaScript; the same bits). */
  rmsNormGrad?(
    dy: Float32Array,
    x: Float32Array,
    weight: Float32Array,
    dx: Float32Array,
    dweight: Float32Array,
    eps: number,
  ): void;
  /** Absent from builds older than it (as rmsNormGrad). */
  rmsNormRope?(
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
  /** Absent from builds older than it (as rmsNormGrad). */
  rmsNormRopeGrad?(
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
  info(): { isa: string; mr: number; nr: number; threads: number; processors: number; isas: string[] };
  setThreads(threads: number): number;
}

/** Where the native GEMM stands in this process. */
export interface NativeGemmStatus {
  /** Loaded and its self-test passed. */
  available: boolean;
  /** The micro-kernel's instruction set ('avx512f', 'avx2', 'generic') when available. */
  isa?: string;
  /** Threads a native GEMM uses, when available. */
  threads?: number;
  /** Why it is not available (not installed, not built, self-test failed). */
  reason?: string;
}

/** How B is stored, as the addon numbers it. */
export const NATIVE_B_TYPE = { f32: 0, bf16: 1, f16: 2 } as const;

const params = new Float64Array(18);
const gemvParams = new Float64Array(12);
let calls = 0;
let gemvCalls = 0;

/** Products the native GEMM has run since the process started (to check which path a matmul took). */
export function nativeGemmCallCount(): number {
  return calls;
}

/** Products the native matrix-vector kernel has run since the process started. */
export function nativeGemvCallCount(): number {
  return gemvCalls;
}

/**
 * C (m x n) = op(A) op(B) through the addon's matrix-vector kernel, B stored [n, k]
 * (transB: a weight, op(B) = B^T) or [k, n] (attention's values), read once and as
 * stored, its rows (or columns) split across the addon's threads.
 */
export function callNativeGemv(
  addon: NativeGemmAddon,
  a: Float32Array,
  aOffset: number,
  transA: boolean,
  b: Float32Array | Uint16Array,
  bOffset: number,
  transB: boolean,
  bType: 0 | 1 | 2,
  c: Float32Array,
  cOffset: number,
  m: number,
  n: number,
  k: number,
): void {
  gemvParams[0] = m;
  gemvParams[1] = n;
  gemvParams[2] = k;
  gemvParams[3] = aOffset;
  gemvParams[4] = transA ? m : k;
  gemvParams[5] = transA ? 1 : 0;
  gemvParams[6] = bOffset;
  gemvParams[7] = transB ? k : n;
  gemvParams[8] = bType;
  gemvParams[9] = cOffset;
  gemvParams[10] = n;
  gemvParams[11] = transB ? 1 : 0;
  addon.gemv(a, b, c, gemvParams);
  gemvCalls++;
}

/**
 * C = op(A) op(B) per batch item through the addon, rows contiguous (each leading
 * dimension the stored row length). Positional, so a call allocates nothing.
 */
export function callNative(
  addon: NativeGemmAddon,
  a: Float32Array,
  aOffset: number,
  strideA: number,
  transA: boolean,
  b: Float32Array | Uint16Array,
  bOffset: number,
  strideB: number,
  transB: boolean,
  bType: 0 | 1 | 2,
  c: Float32Array,
  cOffset: number,
  strideC: number,
  m: number,
  n: number,
  k: number,
  batch: number,
): void {
  params[0] = m;
  params[1] = n;
  params[2] = k;
  params[3] = batch;
  params[4] = aOffset;
  params[5] = transA ? m : k;
  params[6] = strideA;
  params[7] = transA ? 1 : 0;
  params[8] = bOffset;
  params[9] = transB ? k : n;
  params[10] = strideB;
  params[11] = transB ? 1 : 0;
  params[12] = bType;
  params[13] = cOffset;
  params[14] = n;
  params[15] = strideC;
  params[16] = 1;
  params[17] = 0;
  addon.sgemm(a, b, c, params);
  calls++;
}

type LoadResult = { addon: NativeGemmAddon; isa: string } | { reason: string };

let loaded: LoadResult | undefined;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/**
 * B rounded to bfloat16 (truncated: the test compares against the same widened
 * values): its bits, and the float32 values they stand for. Views over one
 * buffer, not a typed array per element, which made the self-test take a
 * second at every process start.
 */
function toBf16(b: Float32Array): { bits: Uint16Array; widened: Float32Array } {
  const words = new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const bits = new Uint16Array(words.length);
  for (let i = 0; i < words.length; i++) {
    bits[i] = words[i]! >>> 16;
    words[i] = bits[i]! << 16;
  }
  return { bits, widened: new Float32Array(words.buffer) };
}

/** `length` draws of `rand`. */
function filled(length: number, rand: () => number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rand();
  return out;
}

/**
 * Shapes that reach every part of the addon: single elements, edge tiles, several
 * k blocks, both transposes, a batch with a broadcast operand, bfloat16 B, a
 * product large enough to use the pool's threads, and the matrix-vector kernel
 * (every single product, B stored [n, k] or [k, n], threaded in the last three).
 * Returns a failure, or null.
 */
export function selfTest(addon: NativeGemmAddon): string | null {
  const shapes: [number, number, number, boolean, boolean, number, 'f32' | 'bf16'][] = [
    [1, 1, 1, false, false, 1, 'f32'],
    [7, 33, 5, false, true, 1, 'f32'],
    [17, 9, 300, true, false, 1, 'f32'],
    [15, 35, 40, true, true, 3, 'f32'],
    [5, 19, 23, false, true, 2, 'bf16'],
    [100, 90, 260, false, false, 1, 'f32'],
    [1, 301, 260, false, true, 1, 'bf16'],
    [3, 70, 1030, true, true, 1, 'f32'],
    [2, 300, 400, false, false, 1, 'bf16'],
  ];
  const rand = seeded(12345);
  for (const [m, n, k, transA, transB, batch, element] of shapes) {
    const a = filled(m * k * batch, rand);
    let b = filled(k * n, rand); // one B for every item: stride 0
    let bRaw: Float32Array | Uint16Array = b;
    if (element === 'bf16') ({ bits: bRaw, widened: b } = toBf16(b));
    const c = new Float32Array(m * n * batch).fill(Number.NaN); // overwritten, never read
    const expected = new Float32Array(m * n * batch);
    try {
      callNative(addon, a, 0, m * k, transA, bRaw, 0, 0, transB, NATIVE_B_TYPE[element], c, 0, m * n, m, n, k, batch);
    } catch (err) {
      return `sgemm threw on ${m}x${n}x${k}: ${(err as Error).message}`;
    }
    for (let t = 0; t < batch; t++) {
      gemmReference({ a, aOffset: t * m * k, b, bOffset: 0, c: expected, cOffset: t * m * n, m, n, k, transA, transB });
    }
    const tolerance = 1e-5 * k + 1e-6;
    const what = `m=${m} n=${n} k=${k} transA=${transA} transB=${transB} batch=${batch} ${element}`;
    for (let i = 0; i < c.length; i++) {
      if (!(Math.abs(c[i]! - expected[i]!) <= tolerance))
        return `sgemm ${what}: C[${i}] is ${c[i]}, the reference ${expected[i]}`;
    }
    // The matrix-vector kernel on the same operands where they are its case (one product).
    if (batch !== 1) continue;
    const cGemv = new Float32Array(m * n).fill(Number.NaN);
    try {
      callNativeGemv(addon, a, 0, transA, bRaw, 0, transB, NATIVE_B_TYPE[element], cGemv, 0, m, n, k);
    } catch (err) {
      return `gemv threw on ${m}x${n}x${k}: ${(err as Error).message}`;
    }
    for (let i = 0; i < cGemv.length; i++) {
      if (!(Math.abs(cGemv[i]! - expected[i]!) <= tolerance))
        return `gemv ${what}: C[${i}] is ${cGemv[i]}, the reference ${expected[i]}`;
    }
  }
  return null;
}

/** The addon module's id; tests point it elsewhere to see the absent path. */
let moduleId = '@molrl/cpu-native/addon';

/**
 * The native GEMM if it loads and passes its self-test (once per process), else
 * null; `nativeGemmStatus()` says why.
 */
export function loadNativeGemm(): NativeGemmAddon | null {
  if (!loaded) {
    let addon: NativeGemmAddon;
    try {
      addon = createRequire(import.meta.url)(moduleId) as NativeGemmAddon;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      loaded = {
        reason:
          e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND'
            ? `${moduleId} is not installed (an optional dependency: its build needs python3, make and a C compiler)`
            : e.message,
      };
      return null;
    }
    const failure = selfTest(addon);
    loaded = failure ? { reason: `its self-test failed: ${failure}` } : { addon, isa: addon.info().isa };
  }
  return 'addon' in loaded ? loaded.addon : null;
}

export function nativeGemmStatus(): NativeGemmStatus {
  const addon = loadNativeGemm();
  if (!addon) return { available: false, reason: (loaded as { reason: string }).reason };
  const info = addon.info();
  return { available: true, isa: info.isa, threads: info.threads };
}

/** Load from another module id from now on (tests: a missing or broken addon). Forgets what was loaded. */
export function setNativeGemmModule(id: string): void {
  moduleId = id;
  loaded = undefined;
}

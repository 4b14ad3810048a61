/**
 * out[i] = a[i] + b[i] * s, the multiply and the add each rounded to float32: a
 * LoRA layer's scaled low-rank term added to its base product, and (s = 1 or -1)
 * an elementwise add or subtract. Memory-bound: on the native addon (when it runs
 * the products) it goes at the speed of memory, about 3x the JavaScript loop
 * (1M elements 0.5 vs 1.6 ms); the bits are the same either way.
 */
import { activeNative } from './matmul/gemm.js';

/** Elements below which the JavaScript loop costs less than a call into the addon. */
const NATIVE_MIN_ELEMENTS = 512;

let nativeCalls = 0;

/** Calls that ran on the native addon since the process started (which path a kernel took, for tests). */
export function nativeScaleAddCallCount(): number {
  return nativeCalls;
}

/** `out` may be `a` or `b` itself; all three have one length. */
export function scaleAdd(a: Float32Array, b: Float32Array, out: Float32Array, s: number): void {
  const native = out.length >= NATIVE_MIN_ELEMENTS ? activeNative() : null;
  if (native?.scaleAdd) {
    native.scaleAdd(a, b, out, s);
    nativeCalls++;
    return;
  }
  const s32 = Math.fround(s);
  for (let i = 0; i < out.length; i++) out[i] = a[i]! + Math.fround(b[i]! * s32);
}

/** e^x over a whole array through the SIMD row kernels (the cpu `exp` kernel's path for long inputs). */
import { expf } from '../expf.js';
import { simdRows } from './simd.js';

/** Elements per pass through the SIMD memory: input and output of a chunk stay in cache. */
const CHUNK = 4096;

/**
 * Above this the four-lane exp saturates to Infinity, though e^x is finite in
 * float32 up to 88.72: a chunk reaching it runs the scalar expf instead.
 */
const SIMD_EXP_HIGH = 88.37626;

/**
 * out[i] = e^x[i], four lanes at a time (within 2 float32 ulp of the scalar
 * `expf`; below -87.34 the result is 0 where expf may still give a
 * subnormal; -Infinity gives 0, NaN stays NaN, overflow gives Infinity).
 * `out` may be `x`.
 */
export function simdExp(x: Float32Array, out: Float32Array): void {
  if (out.length !== x.length) throw new Error(`simdExp: out holds ${out.length} elements, x ${x.length}`);
  const simd = simdRows();
  const at = simd.reserve(CHUNK);
  const mem = simd.f32;
  for (let start = 0; start < x.length; start += CHUNK) {
    const n = Math.min(CHUNK, x.length - start);
    mem.set(x.subarray(start, start + n), at);
    simd.params[0] = 1;
    simd.kernels.max_scaled(at * 4, n);
    if (simd.maxResult() > SIMD_EXP_HIGH) {
      for (let i = start, end = start + n; i < end; i++) out[i] = expf(x[i]);
      continue;
    }
    // exp_scaled: p2 * exp(x * p0 - p1), here exp(x)
    simd.params.set([1, 0, 1, 0]);
    simd.kernels.exp_scaled(at * 4, n);
    out.set(mem.subarray(at, at + n), start);
  }
}

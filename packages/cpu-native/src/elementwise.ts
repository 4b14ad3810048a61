import { addon } from './addon.js';

/**
 * out[i] = a[i] + b[i] * s over three Float32Arrays of one length, the multiply and
 * the add each rounded to float32 (never fused): the bits of
 * `out[i] = a[i] + Math.fround(b[i] * s)` in JavaScript, at the speed of memory.
 * With s = 1 it is a + b, with s = -1 a - b. `out` may be `a` or `b` itself (in
 * place); any other overlap with them, a length mismatch or a non-finite `s` is an
 * error naming it.
 */
export function scaleAdd(a: Float32Array, b: Float32Array, out: Float32Array, s: number): void {
  addon.scaleAdd(a, b, out, s);
}

import { addon } from './addon.js';
import { bTypeCode, flag } from './arguments.js';
import type { BType, ProductA } from './sgemm.js';

/**
 * C (m x n) = op(A) (m x k) op(B), row-major, for a few rows of A (decoding). op(A)
 * is m x k (A stored k x m when transA). B is stored [n, k] (a linear layer's weight,
 * op(B) = B^T: the default, transB true) or [k, n] (transB false: attention's cached
 * values against a row of probabilities). B is read once, as stored, its rows (or
 * columns) split across the pool's threads.
 */
export interface GemvParams extends ProductA {
  /** Float32Array for 'float32'; Uint16Array of raw bits for 'bfloat16' and 'float16' (widened in registers). */
  b: Float32Array | Uint16Array;
  bType?: BType;
  bOffset?: number;
  /** B stored [n, k], op(B) = B^T (default true); false: B stored [k, n], op(B) = B. */
  transB?: boolean;
  /** Elements between stored rows of B (default: k, or n when transB is false). */
  ldb?: number;
  /** The output, overwritten; must not share memory with a or b. */
  c: Float32Array;
  cOffset?: number;
  /** Elements between rows of C (default n). */
  ldc?: number;
}

/** Reused for every call: the addon reads it synchronously. */
const params = new Float64Array(12);

/**
 * The native matrix-vector product. Synchronous; every argument is checked (in the
 * addon too, against the arrays' lengths), and a bad one raises an error naming it.
 */
export function gemv(p: GemvParams): void {
  const { m, n, k } = p;
  const transA = flag('gemv', 'transA', p.transA);
  const transB = flag('gemv', 'transB', p.transB, true);
  const elem = bTypeCode('gemv', p.bType);
  params[0] = m;
  params[1] = n;
  params[2] = k;
  params[3] = p.aOffset ?? 0;
  params[4] = p.lda ?? (transA ? m : k);
  params[5] = transA;
  params[6] = p.bOffset ?? 0;
  params[7] = p.ldb ?? (transB ? k : n);
  params[8] = elem;
  params[9] = p.cOffset ?? 0;
  params[10] = p.ldc ?? n;
  params[11] = transB;
  addon.gemv(p.a, p.b, p.c, params);
}

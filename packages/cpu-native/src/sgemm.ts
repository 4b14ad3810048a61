import { addon } from './addon.js';
import { bTypeCode, flag } from './arguments.js';

/** How B is stored: float32 values, or the raw 16-bit patterns of bfloat16 or float16. */
export type BType = 'float32' | 'bfloat16' | 'float16';

/** The sizes and A of a product, as `sgemm` and `gemv` take them: op(A) is m x k (A stored k x m when transA). */
export interface ProductA {
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  aOffset?: number;
  /** Elements between stored rows of A (default: k, or m when transA). */
  lda?: number;
  transA?: boolean;
}

/**
 * C = alpha * op(A) op(B) + beta * C, row-major, for `batch` independent products.
 * op(A) is m x k (A stored k x m when transA), op(B) is k x n (B stored n x k when
 * transB). Leading dimensions default to the stored row lengths, batch strides to
 * one whole matrix; a stride of 0 reuses one operand for every product.
 */
export interface SgemmParams extends ProductA {
  /** Elements between the A of consecutive products (default m * k). */
  strideA?: number;
  /** Float32Array for 'float32'; Uint16Array of raw bits for 'bfloat16' and 'float16' (widened while packed). */
  b: Float32Array | Uint16Array;
  bType?: BType;
  bOffset?: number;
  /** Elements between stored rows of B (default: n, or k when transB). */
  ldb?: number;
  transB?: boolean;
  /** Elements between the B of consecutive products (default k * n). */
  strideB?: number;
  /** The output; must not share memory with a or b. */
  c: Float32Array;
  cOffset?: number;
  /** Elements between rows of C (default n). */
  ldc?: number;
  /** Elements between the C of consecutive products (default m * n); the products may not overlap. */
  strideC?: number;
  /** Independent products (default 1). */
  batch?: number;
  /** Default 1. */
  alpha?: number;
  /** Default 0: C is overwritten and never read (NaN in it does not leak into the result). */
  beta?: number;
}

/** Reused for every call: the addon reads it synchronously. */
const params = new Float64Array(18);

/**
 * The native GEMM. Synchronous: the calling thread works with the pool's threads
 * and returns when C is complete. Every argument is checked (in the addon too,
 * against the arrays' lengths), and a bad one raises an error naming it.
 */
export function sgemm(p: SgemmParams): void {
  const { m, n, k } = p;
  const transA = flag('sgemm', 'transA', p.transA);
  const transB = flag('sgemm', 'transB', p.transB);
  const elem = bTypeCode('sgemm', p.bType);
  params[0] = m;
  params[1] = n;
  params[2] = k;
  params[3] = p.batch ?? 1;
  params[4] = p.aOffset ?? 0;
  params[5] = p.lda ?? (transA ? m : k);
  params[6] = p.strideA ?? m * k;
  params[7] = transA;
  params[8] = p.bOffset ?? 0;
  params[9] = p.ldb ?? (transB ? k : n);
  params[10] = p.strideB ?? k * n;
  params[11] = transB;
  params[12] = elem;
  params[13] = p.cOffset ?? 0;
  params[14] = p.ldc ?? n;
  params[15] = p.strideC ?? m * n;
  params[16] = p.alpha ?? 1;
  params[17] = p.beta ?? 0;
  addon.sgemm(p.a, p.b, p.c, params);
}

import { gemm } from './matmul/gemm.js';

/** gemm that tolerates empty products: K = 0 gives zeros, an empty C is left alone. */
export function gemmBlock(
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  c: Float32Array,
  cOffset: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    c.fill(0, cOffset, cOffset + m * n);
    return;
  }
  gemm({ a, aOffset, b, bOffset, c, cOffset, m, n, k, transA, transB });
}

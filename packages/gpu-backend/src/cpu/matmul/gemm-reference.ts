import type { GemmParams } from './gemm.js';

/**
 * The reference GEMM: plain loops in i-k-j order (contiguous inner loop),
 * no blocking, no threads. Tests compare the fast path against it, and the
 * fast path uses it for problems too small to be worth packing.
 */
export function gemmReference(p: GemmParams): void {
  const { a, aOffset, b, bOffset, c, cOffset, m, n, k, transA, transB } = p;
  c.fill(0, cOffset, cOffset + m * n);
  for (let i = 0; i < m; i++) {
    const cRow = cOffset + i * n;
    for (let kk = 0; kk < k; kk++) {
      // No skipping of zeros: 0 * Inf and 0 * NaN must give NaN, as in the fast path.
      const av = transA ? a[aOffset + kk * m + i]! : a[aOffset + i * k + kk]!;
      if (transB) {
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bOffset + j * k + kk]!;
      } else {
        const bRow = bOffset + kk * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j]!;
      }
    }
  }
}

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
      const av = transA ? a[aOffset + kk * m + i]! : a[aOffset + i * k + kk]!;
      if (av === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bOffset + j * k + kk]!;
      } else {
        const bRow = bOffset + kk * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j]!;
      }
    }
  }
}

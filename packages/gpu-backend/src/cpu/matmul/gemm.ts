/**
 * Single-precision GEMM on host memory: C = op(A) * op(B), row-major.
 * op(A) is M x K (A stored K x M when transA), op(B) is K x N (B stored N x K
 * when transB). C (M x N) is overwritten.
 */
export interface GemmParams {
  a: Float32Array;
  aOffset: number;
  b: Float32Array;
  bOffset: number;
  c: Float32Array;
  cOffset: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** Reference implementation: simple, i-k-j order for contiguous inner loops. */
export function gemm(p: GemmParams): void {
  const { a, aOffset, b, bOffset, c, cOffset, m, n, k, transA, transB } = p;
  c.fill(0, cOffset, cOffset + m * n);
  for (let i = 0; i < m; i++) {
    const cRow = cOffset + i * n;
    for (let kk = 0; kk < k; kk++) {
      const av = transA ? a[aOffset + kk * m + i] : a[aOffset + i * k + kk];
      if (av === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bOffset + j * k + kk];
      } else {
        const bRow = bOffset + kk * n;
        for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
  }
}

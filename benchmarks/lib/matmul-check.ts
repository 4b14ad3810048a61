/** Inputs and a float64 reference for the matmul benchmarks' correctness check before timing. */

/** An n x n matrix of values in [-1, 1) from a 32-bit LCG: identical on every run and machine. */
export function seededMatrix(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n * n);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Row i of C = A B (n x n, row-major) computed in float64. */
export function referenceRow(a: Float32Array, b: Float32Array, n: number, i: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const av = a[i * n + k]!;
    for (let j = 0; j < n; j++) out[j]! += av * b[k * n + j]!;
  }
  return out;
}

/** Inputs and a float64 reference for the matmul benchmarks' correctness check before timing. */
import { seededValues } from './seeded-values.js';

/** An n x n matrix of values in [-1, 1) from a 32-bit LCG: identical on every run and machine. */
export function seededMatrix(n: number, seed: number): Float32Array {
  return seededValues(n * n, seed);
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

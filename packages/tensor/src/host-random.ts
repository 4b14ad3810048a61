/**
 * Seeded randomness on the host, for what must replay exactly on resume (data
 * order, sampling seeds): mulberry32, a small 32-bit generator whose whole state
 * is one integer. Device-side random tensors use the backends' Philox stream.
 */

/** A generator of floats in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher-Yates permutation of 0..n-1 drawn from mulberry32(seed). */
export function seededPermutation(n: number, seed: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`seededPermutation: n must be an integer >= 0, got ${n}`);
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

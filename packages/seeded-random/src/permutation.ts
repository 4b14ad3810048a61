import { checkSeed, Mulberry32, shown } from './mulberry32.js';

/** A Fisher-Yates permutation of 0..n-1 drawn from mulberry32(seed); `n` an integer >= 0, `seed` an integer. */
export function seededPermutation(n: number, seed: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`seededPermutation: n must be an integer >= 0, got ${shown(n)}`);
  checkSeed(seed, 'seededPermutation');
  return new Mulberry32(seed).shuffle(Array.from({ length: n }, (_, i) => i));
}

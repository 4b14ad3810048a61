import type { Tolerance } from './types.js';

/** The first element outside tolerance, described, or null when all match. */
export function findMismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let worst = -1;
  let worstExcess = 0;
  let bad = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a === e || (a !== a && e !== e)) continue;
    const allowed = tolerance.atol + tolerance.rtol * Math.abs(e);
    const diff = Math.abs(a - e);
    if (diff <= allowed) continue; // false for NaN and for a mismatched infinity
    bad++;
    const excess = Number.isFinite(diff) ? diff - allowed : Infinity;
    if (worst < 0 || excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (bad === 0) return null;
  return `${bad} of ${expected.length} elements differ; worst at ${worst}: got ${actual[worst]}, expected ${expected[worst]} (atol ${tolerance.atol}, rtol ${tolerance.rtol})`;
}

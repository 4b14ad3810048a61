/**
 * Guard regions: the conformance suite asks a backend to surround every new
 * storage with elements holding a sentinel bit pattern, runs a kernel, and
 * checks the sentinels are intact, so a kernel that writes past the end (or
 * before the start) of a storage is caught even when the values it was asked
 * for are right. Shared by the backends so the sentinel and the report read
 * the same everywhere.
 */

/** The sentinel of a 32-bit element or word: a NaN with a payload no kernel computes. */
export const GUARD_WORD = 0x7fa5a5a5;

/** The sentinel of a 16-bit element (float16 and bfloat16 storages). */
export const GUARD_HALF = 0x7da5;

/** Fill `bits` (the raw words of a guard region) with the sentinel. */
export function fillGuard(bits: Uint32Array | Uint16Array): void {
  bits.fill(bits instanceof Uint32Array ? GUARD_WORD : GUARD_HALF);
}

/**
 * Describe what was overwritten in a guard region (`where`: 'before the data'
 * or 'after the data'), or null when every element still holds the sentinel.
 */
export function guardDamage(bits: Uint32Array | Uint16Array, where: string): string | null {
  const sentinel = bits instanceof Uint32Array ? GUARD_WORD : GUARD_HALF;
  const digits = bits instanceof Uint32Array ? 8 : 4;
  let count = 0;
  let first = -1;
  for (let i = 0; i < bits.length; i++) {
    if (bits[i] === sentinel) continue;
    count++;
    if (first < 0) first = i;
  }
  if (count === 0) return null;
  const value = bits[first].toString(16).padStart(digits, '0');
  return `${count} of ${bits.length} guard elements ${where} were overwritten (the first, element ${first} of the region, holds 0x${value})`;
}

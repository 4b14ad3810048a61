/**
 * mulberry32: a small 32-bit generator whose whole state is one integer, so a
 * seed (or a saved counter) replays the same stream on every platform. The
 * project's one generator for host-side order and test data; sampling tokens
 * uses `@molrl/model`'s xoshiro128** and device tensors the backends' Philox.
 */

/** `value` as an error message shows it: strings quoted, everything else by `String`. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Throws unless `seed` is an integer: `seed >>> 0` would turn 1.5 into 1,
 * NaN and Infinity into 0, and '7' into 7, so distinct seeds would draw the
 * same stream without a word.
 */
export function checkSeed(seed: unknown, where: string): asserts seed is number {
  if (typeof seed !== 'number')
    throw new TypeError(`${where}: seed must be an integer, got ${typeof seed} ${shown(seed)}`);
  if (!Number.isInteger(seed)) throw new RangeError(`${where}: seed must be an integer, got ${seed}`);
}

/**
 * A generator of floats in [0, 1) from a 32-bit seed (`seed >>> 0`: any integer,
 * taken modulo 2^32). A seed that is not an integer (1.5, NaN, a string) is refused.
 */
export function mulberry32(seed: number): () => number {
  checkSeed(seed, 'mulberry32');
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 with the draws data generation needs: integers, picks, coin flips and shuffles. */
export class Mulberry32 {
  /** The next float in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    checkSeed(seed, 'Mulberry32');
    this.next = mulberry32(seed);
  }

  /** An integer in [lo, hi]: both safe integers, `lo <= hi`. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi)
      throw new RangeError(
        `Mulberry32.int: lo and hi must be integers with lo <= hi, got lo ${shown(lo)}, hi ${shown(hi)}`,
      );
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** One of `items` (not empty). */
  pick<T>(items: readonly T[]): T {
    if (!(items?.length > 0))
      throw new RangeError(
        `Mulberry32.pick: items must be a non-empty array, got ${Array.isArray(items) ? 'an empty array' : shown(items)}`,
      );
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** True with probability p, in [0, 1]. */
  chance(p: number): boolean {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new RangeError(`Mulberry32.chance: p must be a probability in [0, 1], got ${shown(p)}`);
    return this.next() < p;
  }

  /** Fisher-Yates, in place; returns `items`. */
  shuffle<T>(items: T[]): T[] {
    if (typeof items?.length !== 'number')
      throw new TypeError(`Mulberry32.shuffle: items must be an array, got ${shown(items)}`);
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

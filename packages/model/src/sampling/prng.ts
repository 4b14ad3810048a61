/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) so sampling
 * is reproducible across runs and platforms: the same seed gives the same
 * stream of floats in [0, 1).
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`SeededRandom: seed must be a finite number, got ${seed}`);
    // splitmix32 expands the seed's low 32 bits into four state words; a seed past 32 bits XORs a second
    // splitmix32 stream of its high word (other constants) into them. Seeds below 2^32 keep the streams
    // they always had; folding the high word into the low one (as before) made structured collisions
    // (k and 65536k alike under `generate`'s seed * 0x10001, -1 and 0 alike).
    const mix = (z: number) => {
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    let x = Math.floor(seed) >>> 0;
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    let y = (high ^ 0x68e31da4) >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      if (high === 0) return mix(x);
      y = (y + 0x7f4a7c15) >>> 0;
      return (mix(x) ^ mix(y)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The four state words (to carry the generator to another thread and back: `setState`). */
  state(): [number, number, number, number] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** Continue from `state()` of this or another generator. */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32))
      throw new Error(`SeededRandom.setState: expected four 32-bit unsigned words, got [${state.join(', ')}]`);
    [this.s0, this.s1, this.s2, this.s3] = state as [number, number, number, number];
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** @internal `SeededRandom` and its helper, for a worker thread (see `sampleTokenParts`). */
export function seededRandomParts(): { name: string }[] {
  return [SeededRandom, rotl];
}

import { Mulberry32 } from '@molrl/seeded-random';

/**
 * The data generator's seeded stream (mulberry32): the same seed gives the same
 * splits, tasks and mistakes everywhere. The seed is mixed with the golden
 * ratio first, so seed 0 does not start from state 0.
 */
export class Rng extends Mulberry32 {
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed))
      throw new RangeError(`Rng: seed must be a finite number, got ${String(seed)}`);
    super((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
  }
}

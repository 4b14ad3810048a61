/**
 * The order a trainer visits its examples in: a seeded Fisher-Yates shuffle
 * per epoch, walked as one stream. The whole state is the number of examples
 * taken, so a checkpoint that records it resumes onto the same order.
 */
import { seededPermutation } from '@molrl/seeded-random';

/** The visiting order of epoch `epoch`: a permutation of 0..size-1 drawn from (seed, epoch). */
export function epochOrder(size: number, seed: number, epoch: number): number[] {
  return seededPermutation(size, (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
}

export interface TakeOptions {
  /**
   * false (default): at most the rest of the current epoch, so no step mixes two
   * epochs (the last step of an epoch may be smaller); a used-up epoch is
   * followed by the next. true: the stream runs on into the next epoch.
   */
  crossEpochs?: boolean;
}

export class DataOrder {
  private epochIndex = 0;
  /** Examples taken in epochIndex; equal to size once it is used up (the next take starts the next epoch). */
  private offsetInEpoch = 0;
  private cached: { epoch: number; order: number[] } | null = null;

  constructor(
    readonly size: number,
    readonly seed: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`DataOrder: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`DataOrder: seed must be an integer >= 0, got ${seed}`);
  }

  /** The epoch of the last example taken (0 before any). */
  get epoch(): number {
    return this.epochIndex;
  }

  /** Examples taken in that epoch (size when it is used up). */
  get offset(): number {
    return this.offsetInEpoch;
  }

  /** Examples taken since the start: the whole state. */
  get examplesSeen(): number {
    return this.epochIndex * this.size + this.offsetInEpoch;
  }

  /** Go to the position after `examplesSeen` examples. */
  seek(examplesSeen: number): void {
    if (!Number.isInteger(examplesSeen) || examplesSeen < 0)
      throw new Error(`DataOrder: examplesSeen must be an integer >= 0, got ${examplesSeen}`);
    this.epochIndex = examplesSeen === 0 ? 0 : Math.ceil(examplesSeen / this.size) - 1;
    this.offsetInEpoch = examplesSeen - this.epochIndex * this.size;
  }

  /** The next `count` example indices (fewer at the end of an epoch unless crossEpochs). */
  take(count: number, options: TakeOptions = {}): number[] {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`DataOrder: count must be a positive integer, got ${count}`);
    const out: number[] = [];
    while (out.length < count) {
      if (this.offsetInEpoch >= this.size) {
        if (out.length && !options.crossEpochs) break;
        this.epochIndex++;
        this.offsetInEpoch = 0;
      }
      const order = this.orderOf(this.epochIndex);
      const n = Math.min(count - out.length, this.size - this.offsetInEpoch);
      out.push(...order.slice(this.offsetInEpoch, this.offsetInEpoch + n));
      this.offsetInEpoch += n;
      if (!options.crossEpochs) break;
    }
    return out;
  }

  private orderOf(epoch: number): number[] {
    if (this.cached?.epoch !== epoch) this.cached = { epoch, order: epochOrder(this.size, this.seed, epoch) };
    return this.cached.order;
  }
}

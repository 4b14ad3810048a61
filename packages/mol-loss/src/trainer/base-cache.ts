/**
 * The base model's distribution on each training example's decision rows,
 * kept on the device between epochs: with a frozen LM head it is a constant
 * of training, O(hidden) per decision token (see `baseDistribution`). Filled
 * lazily, one example at a time, so an entry never depends on which examples
 * shared its micro-batch: a resumed run recomputes exactly the numbers it
 * lost. Entries past the byte budget are recomputed whenever they are needed.
 */
import { concat, kernelOp, reshape, tensor, zeros, type Tensor } from '@molrl/tensor';
import type { BaseDistribution } from '../base-distribution.js';

/** One example's base distribution: its decision positions (in the example's own loss rows) and their values. */
export interface BaseEntry {
  positions: Int32Array;
  /** [positions, H] */
  meanHead: Tensor;
  /** [positions] */
  entropy: Tensor;
}

export class BaseDistributionCache {
  private readonly entries = new Map<string, BaseEntry>();
  private bytesUsed = 0;
  /** Whether an entry has been turned away for lack of room. */
  overflowed = false;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.bytesUsed;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): BaseEntry | undefined {
    return this.entries.get(key);
  }

  /** Keep `entry` if it fits in the budget; returns whether it was kept (the caller disposes one that was not). */
  offer(key: string, entry: BaseEntry): boolean {
    const bytes = entry.meanHead.size * 4 + entry.entropy.size * 4 + entry.positions.byteLength;
    if (this.bytesUsed + bytes > this.maxBytes) {
      this.overflowed = true;
      return false;
    }
    entry.meanHead.keep();
    entry.entropy.keep();
    this.entries.set(key, entry);
    this.bytesUsed += bytes;
    return true;
  }

  clear(): void {
    for (const entry of this.entries.values()) {
      entry.meanHead.dispose();
      entry.entropy.dispose();
    }
    this.entries.clear();
    this.bytesUsed = 0;
  }
}

/**
 * A micro-batch's base distribution from its examples' entries: rows of
 * example b start at b * width (the padded row width); rows without an entry
 * (not decisions) are zero and unread.
 */
export function assembleBaseDistribution(
  entries: readonly BaseEntry[],
  width: number,
  hiddenSize: number,
): BaseDistribution {
  const rows = entries.length * width;
  const used = entries.filter((e) => e.positions.length > 0);
  if (!used.length) return { meanHead: zeros([rows, hiddenSize]), entropy: zeros([rows]) };
  const index = new Int32Array(used.reduce((a, e) => a + e.positions.length, 0));
  let k = 0;
  entries.forEach((e, b) => {
    for (const p of e.positions) index[k++] = b * width + p;
  });
  const idx = tensor(index);
  const join = (ts: Tensor[]) => (ts.length === 1 ? ts[0]! : concat(ts, 0));
  const meanHead = kernelOp('scatterAddRows', [join(used.map((e) => e.meanHead)), idx], { numRows: rows })[0]!;
  const entropyRows = join(used.map((e) => reshape(e.entropy, [-1, 1])));
  const entropy = reshape(kernelOp('scatterAddRows', [entropyRows, idx], { numRows: rows })[0]!, [rows]);
  return { meanHead, entropy };
}

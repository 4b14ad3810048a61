/**
 * The prompt stream: every epoch is a seeded shuffle of the data set, and the
 * stream runs on across epochs, so a step that straddles an epoch boundary takes
 * the rest of one order and the start of the next. The position alone (prompts
 * seen) restores it.
 */
import { seededPermutation } from '@molrl/tensor';

export function epochOrder(size: number, seed: number, epoch: number): number[] {
  return seededPermutation(size, (seed * 0x9e3779b1 + epoch * 0x85ebca6b) >>> 0);
}

/** The data-set indices of prompts [start, start + count) of the stream. */
export function promptIndices(size: number, seed: number, start: number, count: number): number[] {
  const out: number[] = [];
  let epoch = -1;
  let order: number[] = [];
  for (let k = start; k < start + count; k++) {
    const e = Math.floor(k / size);
    if (e !== epoch) {
      epoch = e;
      order = epochOrder(size, seed, e);
    }
    out.push(order[k % size]!);
  }
  return out;
}

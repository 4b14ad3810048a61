/**
 * The prompt stream: `@molrl/train`'s per-epoch seeded shuffle of the data set,
 * run on across epochs, so a rollout batch that straddles an epoch boundary
 * takes the rest of one order and the start of the next. The position alone
 * (prompts seen) restores it.
 */
import { DataOrder } from '@molrl/train';

export { epochOrder } from '@molrl/train';

/** The data-set indices of prompts [start, start + count) of the stream. */
export function promptIndices(size: number, seed: number, start: number, count: number): number[] {
  const order = new DataOrder(size, seed);
  order.seek(start);
  return order.take(count, { crossEpochs: true });
}

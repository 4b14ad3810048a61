/**
 * The order rows are visited in: `@molrl/train`'s per-epoch seeded shuffle
 * (`epochOrder`), taken globalBatchSize rows per optimizer step within an
 * epoch; the last step of an epoch may have fewer.
 */
export { epochOrder } from '@molrl/train';

/** The rows of optimizer step `stepInEpoch` (globalBatchSize of them; the last step of an epoch may have fewer). */
export function stepRows(order: readonly number[], stepInEpoch: number, globalBatchSize: number): number[] {
  return order.slice(stepInEpoch * globalBatchSize, (stepInEpoch + 1) * globalBatchSize);
}

export function stepsPerEpoch(rows: number, globalBatchSize: number): number {
  return Math.ceil(rows / globalBatchSize);
}

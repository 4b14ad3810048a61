/**
 * The order rows are visited in: `@molrl/train`'s per-epoch seeded shuffle
 * (`epochOrder`), taken globalBatchSize rows per optimizer step within an
 * epoch; the last step of an epoch may have fewer.
 */
export { epochOrder } from '@molrl/train';

/** An integer argument at least `min`, or an error naming the function, the argument and the value. */
function integerAtLeast(fn: string, name: string, value: unknown, min: number): void {
  if (!Number.isSafeInteger(value) || (value as number) < min)
    throw new RangeError(
      `${fn}: ${name} must be an integer >= ${min}, got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
    );
}

/** The rows of optimizer step `stepInEpoch` (globalBatchSize of them; the last step of an epoch may have fewer). */
export function stepRows(order: readonly number[], stepInEpoch: number, globalBatchSize: number): number[] {
  // NaN or a fraction sliced silently (no rows, or rows of two steps).
  integerAtLeast('stepRows', 'stepInEpoch', stepInEpoch, 0);
  integerAtLeast('stepRows', 'globalBatchSize', globalBatchSize, 1);
  return order.slice(stepInEpoch * globalBatchSize, (stepInEpoch + 1) * globalBatchSize);
}

export function stepsPerEpoch(rows: number, globalBatchSize: number): number {
  // A batch size of 0 made Infinity steps.
  integerAtLeast('stepsPerEpoch', 'rows', rows, 0);
  integerAtLeast('stepsPerEpoch', 'globalBatchSize', globalBatchSize, 1);
  return Math.ceil(rows / globalBatchSize);
}

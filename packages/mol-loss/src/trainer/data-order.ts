/**
 * The order rows are visited in: a Fisher-Yates shuffle per epoch whose seed is
 * derived from (seed, epoch). The loader's whole state is therefore (epoch,
 * step within the epoch): a resumed run recomputes the same order.
 */
import { seededPermutation } from '@molrl/tensor';

export function epochOrder(rows: number, seed: number, epoch: number): number[] {
  return seededPermutation(rows, (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
}

/** The rows of optimizer step `stepInEpoch` (globalBatchSize of them; the last step of an epoch may have fewer). */
export function stepRows(order: readonly number[], stepInEpoch: number, globalBatchSize: number): number[] {
  return order.slice(stepInEpoch * globalBatchSize, (stepInEpoch + 1) * globalBatchSize);
}

export function stepsPerEpoch(rows: number, globalBatchSize: number): number {
  return Math.ceil(rows / globalBatchSize);
}

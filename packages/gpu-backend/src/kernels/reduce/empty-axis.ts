import { fmt, kernelError } from '../../shape.js';
import type { ReduceOp } from './contract.js';

/**
 * The maximum of no values is undefined: `max` refuses an empty reduced axis,
 * whatever the output's size (as torch.amax). `sum` (0) and `mean` (NaN) are
 * defined there. `sortedAxes` are already normalized.
 */
export function assertReducible(op: ReduceOp, shape: readonly number[], sortedAxes: readonly number[]): void {
  if (op !== 'max') return;
  const empty = sortedAxes.find((a) => shape[a] === 0);
  if (empty !== undefined) throw kernelError(op, `axis ${empty} of ${fmt(shape)} is empty: no maximum to find`);
}

/**
 * An in-place write into a tensor's storage: the one op that changes a
 * tensor's contents (a KV cache taking each step's keys and values without
 * copying what it holds).
 */
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { needsGrad, runKernel } from './core.js';

/**
 * Write `update` into `target` at `begin` (one entry per axis), in place:
 * every handle on target's storage (its views included) sees the new values.
 * Both tensors need the same dtype and rank, and the update must fit.
 * An in-place write has no gradient: neither tensor may require one (call it
 * under noGrad() or on tensors outside any graph), and a tensor an earlier
 * graph saved for its backward must not be the target.
 */
export function writeSlice(target: Tensor, update: Tensor, begin: readonly number[]): void {
  if (needsGrad(target, update))
    throw new Error(
      `writeSlice: an in-place write has no gradient, but ${target.requiresGrad ? target.describe() : update.describe()} requires one (write under noGrad())`,
    );
  if (target.dtype !== update.dtype)
    throw new Error(`writeSlice: update ${update.describe()} must have the dtype of target ${target.describe()}`);
  if (
    !Array.isArray(begin) ||
    begin.length !== target.rank ||
    update.rank !== target.rank ||
    begin.some((b, i) => !Number.isInteger(b) || b < 0 || b + update.shape[i]! > target.shape[i]!)
  ) {
    throw new Error(
      `writeSlice: update ${fmt(update.shape)} at begin ${JSON.stringify(begin)} does not fit in target ${fmt(target.shape)}`,
    );
  }
  runKernel('writeSlice', 'writeSlice', [target, update], { begin: [...begin] });
}

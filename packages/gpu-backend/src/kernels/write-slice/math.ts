/** Validation of writeSlice's arguments, shared by the backends. */
import type { TensorInfo } from '../../backend.js';
import { fmt, kernelError } from '../../shape.js';

/** Checks that `update` fits inside `target` at `begin` (same dtype and rank, separate storages). */
export function assertWriteSlice(target: TensorInfo, update: TensorInfo, begin: readonly number[]): void {
  if (target.storage === update.storage)
    throw kernelError('writeSlice', 'target and update are the same storage (an in-place write needs two)');
  if (target.storage.dtype !== update.storage.dtype)
    throw kernelError(
      'writeSlice',
      `update is ${update.storage.dtype}, target is ${target.storage.dtype} (cast the update first)`,
    );
  const rank = target.shape.length;
  if (update.shape.length !== rank || !Array.isArray(begin) || begin.length !== rank)
    throw kernelError(
      'writeSlice',
      `target ${fmt(target.shape)}, update ${fmt(update.shape)} and begin ${JSON.stringify(begin)} must have the same rank`,
    );
  for (let i = 0; i < rank; i++) {
    const b = begin[i];
    if (!Number.isInteger(b) || b < 0 || b + update.shape[i] > target.shape[i])
      throw kernelError(
        'writeSlice',
        `update ${fmt(update.shape)} at begin ${fmt(begin)} does not fit in target ${fmt(target.shape)} at axis ${i}`,
      );
  }
}

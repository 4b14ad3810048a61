/** Each row's top-k candidates found on the backend, read back as a few numbers per row. */
import { assertFloat, runKernel, wrap } from './core.js';
import type { Tensor } from '../tensor.js';

export interface TopKSelection {
  /** int32 [..., capacity]: the qualifying entries' indices in ascending order, -1 after them. */
  indices: Tensor;
  /** float32 [..., capacity]: their values, 0 after them. */
  values: Tensor;
  /**
   * int32 [...]: how many entries qualify per row; more than capacity when ties
   * with the k-th run past it, -1 for a row holding a NaN (no order).
   */
  counts: Tensor;
}

/**
 * The entries of each row of float32 `x` [..., N] at or above the row's k-th
 * largest value, ties with it included (-0 equals +0), in ascending index
 * order, up to `capacity` per row. Sampling reads these instead of a
 * vocabulary of logits per row. No gradient.
 */
export function selectTopK(x: Tensor, k: number, capacity: number): TopKSelection {
  assertFloat('selectTopK', x);
  if (x.dtype !== 'float32') throw new Error(`selectTopK: x must be float32, got ${x.describe()}`);
  const [indices, values, counts] = runKernel('selectTopK', 'selectTopK', [x], { k, capacity });
  return {
    indices: wrap(indices!, 'selectTopK'),
    values: wrap(values!, 'selectTopK'),
    counts: wrap(counts!, 'selectTopK'),
  };
}

/**
 * How layers read a stored weight. Kernels compute in float32; a weight may be
 * stored as bfloat16/float16 (a checkpoint kept in half precision). The
 * kernels that read half-precision data as stored take the weight as it is:
 * `matmul` (every Linear, in the forward and for the input gradient), `gather`
 * (an embedding lookup, whose rows alone are widened), and `rmsNorm` /
 * `rmsNormRope` (a norm's scale). The others (a bias) read a float32 view,
 * widened here per use.
 */
import { needsGrad } from '../ops/core.js';
import { cast, gather } from '../ops/indexing.js';
import type { Tensor } from '../tensor.js';

/** The float32 view of a weight: a float32 weight as it is, a half-precision one widened (per use). */
export function computeView(weight: Tensor): Tensor {
  return weight.dtype === 'float32' ? weight : cast(weight, 'float32');
}

/**
 * Rows of an embedding table at int32 `ids`, as float32. A half-precision
 * table is read as stored and only the rows looked up are widened; one that
 * takes gradients is widened whole, since its gradient flows through the cast.
 */
export function lookupRows(table: Tensor, ids: Tensor): Tensor {
  if (table.dtype === 'float32' || needsGrad(table)) return gather(computeView(table), ids);
  const rows = gather(table, ids);
  const wide = cast(rows, 'float32');
  rows.dispose();
  return wide;
}

/** The float32 view of a stored weight that the kernels compute with. */
import { cast } from '../ops/indexing.js';
import type { Tensor } from '../tensor.js';

/**
 * A weight stored as bfloat16/float16 is widened to float32 per use (kernels
 * compute in float32); a float32 weight is used as it is. Every layer reads its
 * weights through this one function, so a kernel that reads half-precision
 * weights directly replaces the widening here.
 */
export function computeView(weight: Tensor): Tensor {
  return weight.dtype === 'float32' ? weight : cast(weight, 'float32');
}

import type { TensorInfo } from '../../backend.js';
import { assertSameShape } from '../../shape.js';
import { rmsNormDims } from '../rms-norm/math.js';

/** The shapes and eps of an addRmsNorm call checked (shared by the backends): rmsNorm's, and update's shape x's. */
export function addRmsNormDims(
  x: TensorInfo,
  update: TensorInfo,
  weight: TensorInfo,
  attrs: { eps: number },
): { rows: number; d: number } {
  assertSameShape('addRmsNorm', ['x', 'update'], [x.shape, update.shape]);
  return rmsNormDims('addRmsNorm', x, weight, attrs);
}

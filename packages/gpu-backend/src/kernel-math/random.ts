/** Random-number kernel attributes and their validation, shared by the backends. */
import type { TensorInfo } from '../backend.js';
import { assertSeed } from '../random/philox.js';
import { assertInputCount, assertShape, kernelError } from '../shape.js';

export interface RandomUniformAttrs {
  shape: number[];
  seed: number;
  low?: number;
  high?: number;
  [attr: string]: unknown;
}

export interface RandomNormalAttrs {
  shape: number[];
  seed: number;
  mean?: number;
  std?: number;
  [attr: string]: unknown;
}

/** No inputs, `attrs.shape` a valid shape and `attrs.seed` a valid seed. */
export function assertRandomArgs(
  kernel: string,
  inputs: readonly TensorInfo[],
  attrs: { shape: unknown; seed: unknown },
): void {
  assertInputCount(kernel, inputs, 0);
  if (!Array.isArray(attrs.shape))
    throw kernelError(kernel, `attrs.shape must be an array, got ${String(attrs.shape)}`);
  assertShape(kernel, 'shape', attrs.shape);
  assertSeed(kernel, attrs.seed);
}

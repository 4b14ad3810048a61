/** Random-number kernel attributes and their validation, shared by the backends. */
import type { TensorInfo } from '../../backend.js';
import type { ContractAttrs } from '../../contract/kernel-contract.js';
import { assertSeed } from '../../random/philox.js';
import { assertInputCount, assertShape, kernelError } from '../../shape.js';
import type { randomNormal, randomUniform } from './contract.js';

export type RandomUniformAttrs = ContractAttrs<typeof randomUniform>;
export type RandomNormalAttrs = ContractAttrs<typeof randomNormal>;

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

/** Random-number kernel attributes and their validation, shared by the backends. */
import type { TensorInfo } from '../../backend.js';
import type { ContractAttrs } from '../../contract/kernel-contract.js';
import { assertSeed } from '../../random/philox.js';
import { assertInputCount, assertShape, kernelError, sizeOf } from '../../shape.js';
import type { randomNormal, randomUniform } from './contract.js';

export type RandomUniformAttrs = ContractAttrs<typeof randomUniform>;
export type RandomNormalAttrs = ContractAttrs<typeof randomNormal>;

/** The last stream element a counter (element / 4) of 32 bits reaches, exclusive: what every backend computes. */
export const STREAM_ELEMENTS = 2 ** 34;

/**
 * No inputs, `attrs.shape` a valid shape, `attrs.seed` a valid seed, and `attrs.offset` (when given) a
 * multiple of 4 (whole Philox blocks, so Box-Muller pairs and device threads line up) with the output
 * inside the stream. Returns the offset (0 when absent).
 */
export function assertRandomArgs(
  kernel: string,
  inputs: readonly TensorInfo[],
  attrs: { shape: unknown; seed: unknown; offset?: unknown },
): number {
  assertInputCount(kernel, inputs, 0);
  if (!Array.isArray(attrs.shape))
    throw kernelError(kernel, `attrs.shape must be an array, got ${String(attrs.shape)}`);
  assertShape(kernel, 'shape', attrs.shape);
  assertSeed(kernel, attrs.seed);
  const offset = attrs.offset ?? 0;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0 || offset % 4 !== 0)
    throw kernelError(kernel, `attrs.offset must be a non-negative multiple of 4, got ${String(attrs.offset)}`);
  const n = sizeOf(attrs.shape as number[]);
  if (offset + n > STREAM_ELEMENTS)
    throw kernelError(
      kernel,
      `attrs.offset ${offset} + ${n} elements runs past the stream's 2^34 elements (shape [${(attrs.shape as number[]).join(', ')}])`,
    );
  return offset;
}

import type { KernelArgs } from '../../backend.js';
import { assertSeed, fillNormal, fillUniform } from '../../random/philox.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, assertShape, kernelError } from '../../shape.js';
import { floatOutput } from '../host.js';

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

function checkShape(kernel: string, shape: unknown): asserts shape is number[] {
  if (!Array.isArray(shape)) throw kernelError(kernel, `attrs.shape must be an array, got ${String(shape)}`);
  assertShape(kernel, 'shape', shape);
}

/** Uniform [low, high) from the Philox stream of (seed, element index); see random/philox.ts. */
export const randomUniformKernel: KernelConfig = {
  name: 'randomUniform',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<RandomUniformAttrs>) => {
    assertInputCount('randomUniform', inputs, 0);
    checkShape('randomUniform', attrs.shape);
    assertSeed('randomUniform', attrs.seed);
    const out = floatOutput(backend, attrs.shape);
    fillUniform(out.data, attrs.seed, attrs.low ?? 0, attrs.high ?? 1);
    return out.info;
  },
};

/** Normal(mean, std) by Box-Muller over the same stream; see random/philox.ts. */
export const randomNormalKernel: KernelConfig = {
  name: 'randomNormal',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<RandomNormalAttrs>) => {
    assertInputCount('randomNormal', inputs, 0);
    checkShape('randomNormal', attrs.shape);
    assertSeed('randomNormal', attrs.seed);
    const out = floatOutput(backend, attrs.shape);
    fillNormal(out.data, attrs.seed, attrs.mean ?? 0, attrs.std ?? 1);
    return out.info;
  },
};

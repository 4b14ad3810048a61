import type { KernelFunc } from '../../backend.js';
import { assertSeed, fillNormal, fillUniform } from '../../random/philox.js';
import { assertInputCount, assertShape, kernelError } from '../../shape.js';
import type { GpujsBackend } from '../backend.js';

/**
 * Seeded random on the host, from the shared Philox4x32-10 stream. The stream
 * is defined on 32-bit unsigned products (mulhi) that gpu.js cannot express:
 * its kernels compute in f32 on every mode, and only its webgpu mode has
 * integer types. The host stream is the one every backend must reproduce.
 */

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

export const randomUniform: KernelFunc<RandomUniformAttrs> = ({ inputs, attrs, backend }) => {
  assertInputCount('randomUniform', inputs, 0);
  checkShape('randomUniform', attrs.shape);
  assertSeed('randomUniform', attrs.seed);
  const be = backend as GpujsBackend;
  const out = be.output(attrs.shape);
  be.host(() => {
    const values = new Float32Array(be.storageOf(out).size);
    fillUniform(values, attrs.seed, attrs.low ?? 0, attrs.high ?? 1);
    be.storageOf(out).data = values;
  });
  return out;
};

export const randomNormal: KernelFunc<RandomNormalAttrs> = ({ inputs, attrs, backend }) => {
  assertInputCount('randomNormal', inputs, 0);
  checkShape('randomNormal', attrs.shape);
  assertSeed('randomNormal', attrs.seed);
  const be = backend as GpujsBackend;
  const out = be.output(attrs.shape);
  be.host(() => {
    const values = new Float32Array(be.storageOf(out).size);
    fillNormal(values, attrs.seed, attrs.mean ?? 0, attrs.std ?? 1);
    be.storageOf(out).data = values;
  });
  return out;
};

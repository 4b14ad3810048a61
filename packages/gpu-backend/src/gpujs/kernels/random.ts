import type { KernelFunc } from '../../backend.js';
import { assertRandomArgs, type RandomNormalAttrs, type RandomUniformAttrs } from '../../kernel-math/random.js';
import { fillNormal, fillUniform } from '../../random/philox.js';
import type { GpujsBackend } from '../backend.js';

/**
 * Seeded random on the host, from the shared Philox4x32-10 stream. The stream
 * is defined on 32-bit unsigned products (mulhi) that gpu.js cannot express:
 * its kernels compute in f32 on every mode, and only its webgpu mode has
 * integer types. The host stream is the one every backend must reproduce.
 */

export const randomUniform: KernelFunc<RandomUniformAttrs> = ({ inputs, attrs, backend }) => {
  assertRandomArgs('randomUniform', inputs, attrs);
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
  assertRandomArgs('randomNormal', inputs, attrs);
  const be = backend as GpujsBackend;
  const out = be.output(attrs.shape);
  be.host(() => {
    const values = new Float32Array(be.storageOf(out).size);
    fillNormal(values, attrs.seed, attrs.mean ?? 0, attrs.std ?? 1);
    be.storageOf(out).data = values;
  });
  return out;
};

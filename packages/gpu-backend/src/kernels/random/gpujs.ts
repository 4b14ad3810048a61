import { implement } from '../../registry.js';
import { randomNormal, randomUniform } from './contract.js';
import { assertRandomArgs } from './math.js';
import { fillNormal, fillUniform } from '../../random/philox.js';
import type { GpujsBackend } from '../../gpujs/backend.js';

/**
 * Seeded random on the host, from the shared Philox4x32-10 stream. The stream
 * is defined on 32-bit unsigned products (mulhi) that gpu.js cannot express:
 * its kernels compute in f32 on every mode, and only its webgpu mode has
 * integer types. The host stream is the one every backend must reproduce.
 */

const randomUniformKernel = implement(randomUniform, 'gpujs', ({ inputs, attrs, backend }) => {
  const offset = assertRandomArgs('randomUniform', inputs, attrs);
  const be = backend as GpujsBackend;
  const out = be.output(attrs.shape);
  be.host(() => {
    const values = new Float32Array(be.storageOf(out).size);
    fillUniform(values, attrs.seed, attrs.low ?? 0, attrs.high ?? 1, offset);
    be.storageOf(out).data = values;
  });
  return out;
});

const randomNormalKernel = implement(randomNormal, 'gpujs', ({ inputs, attrs, backend }) => {
  const offset = assertRandomArgs('randomNormal', inputs, attrs);
  const be = backend as GpujsBackend;
  const out = be.output(attrs.shape);
  be.host(() => {
    const values = new Float32Array(be.storageOf(out).size);
    fillNormal(values, attrs.seed, attrs.mean ?? 0, attrs.std ?? 1, offset);
    be.storageOf(out).data = values;
  });
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [randomUniformKernel, randomNormalKernel];

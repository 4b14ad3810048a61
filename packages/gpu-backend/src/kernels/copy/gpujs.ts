import { implement } from '../../registry.js';
import { copy } from './contract.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';

/** A copy on the host, where gpujs storages live (see concat/gpujs.ts). */
const copyKernel = implement(copy, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('copy', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const out = be.output(x.shape, x.storage.dtype);
  be.host(() => {
    be.storageOf(out).data = be.storageOf(x).data.slice();
  });
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [copyKernel];

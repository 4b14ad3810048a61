import { implement } from '../../registry.js';
import { assertInputCount } from '../../shape.js';
import { copyBlock } from '../../cpu/copy-block.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { writeSlice } from './contract.js';
import { assertWriteSlice } from './math.js';

/**
 * gpujs storages are host arrays, each a storage's own (launches and host
 * work make new ones; uploads and reads copy), so the write is host work
 * into the target's array, in order after the work that produced it.
 */
const writeSliceKernel = implement(writeSlice, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('writeSlice', inputs, 2);
  const be = backend as GpujsBackend;
  const [target, update] = inputs;
  assertWriteSlice(target, update, attrs.begin);
  const begin = [...attrs.begin];
  be.host(() => {
    copyBlock(
      be.storageOf(update).data,
      update.shape,
      update.shape.map(() => 0),
      be.storageOf(target).data,
      target.shape,
      begin,
      update.shape,
    );
  });
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [writeSliceKernel];

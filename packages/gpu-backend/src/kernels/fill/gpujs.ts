import { implement } from '../../registry.js';
import { fill } from './contract.js';
import { DTYPES } from '../../dtype.js';
import { allocHostArray } from '../../host-array.js';
import { assertInputCount, assertShape, kernelError } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { storedValue } from '../../gpujs/host-data.js';

/** A fill on the host, where gpujs storages live (see concat/gpujs.ts). */
const fillKernel = implement(fill, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('fill', inputs, 0);
  const be = backend as GpujsBackend;
  const dtype = attrs.dtype ?? 'float32';
  if (!DTYPES.includes(dtype))
    throw kernelError('fill', `attrs.dtype must be one of ${DTYPES.join(', ')}, got '${String(dtype)}'`);
  if (!Array.isArray(attrs.shape))
    throw kernelError('fill', `attrs.shape must be an array, got ${String(attrs.shape)}`);
  assertShape('fill', 'shape', attrs.shape);
  if (typeof attrs.value !== 'number')
    throw kernelError('fill', `attrs.value must be a number, got ${String(attrs.value)}`);
  const out = be.output(attrs.shape, dtype);
  const stored = storedValue(attrs.value, dtype);
  be.host(() => {
    be.storageOf(out).data = allocHostArray(be.storageOf(out).size, dtype).fill(stored);
  });
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [fillKernel];

import { implement } from '../../registry.js';
import { cast } from './contract.js';
import { DTYPES } from '../../dtype.js';
import { assertInputCount, kernelError } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { fromFloat32 } from '../../gpujs/host-data.js';

/** float32 <-> float16/bfloat16 round to nearest even; float -> int32 truncates toward zero (saturating, NaN -> 0). */
const castKernel = implement(cast, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('cast', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const to = attrs.dtype;
  if (!DTYPES.includes(to))
    throw kernelError('cast', `attrs.dtype must be one of ${DTYPES.join(', ')}, got '${String(to)}'`);
  const from = x.storage.dtype;
  const out = be.output(x.shape, to);
  be.host(() => {
    const src = be.storageOf(x);
    be.storageOf(out).data =
      from === to
        ? src.data.slice()
        : from === 'int32' && to === 'float32'
          ? Float32Array.from(src.data)
          : fromFloat32(be.floats(x), to);
  });
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [castKernel];

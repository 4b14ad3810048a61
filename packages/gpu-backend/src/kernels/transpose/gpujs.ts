import { implement } from '../../registry.js';
import { transpose } from './contract.js';
import { assertInputCount, fmt, kernelError, stridesOf } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { stridedGather } from '../../gpujs/strided.js';

/** Contiguous copy with axes permuted (out axis i = x axis perm[i]); any dtype. */
const transposeKernel = implement(transpose, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('transpose', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const perm = attrs.perm;
  const valid =
    Array.isArray(perm) && perm.length === x.shape.length && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!valid)
    throw kernelError('transpose', `perm ${JSON.stringify(perm)} is not a permutation of the axes of ${fmt(x.shape)}`);
  const out = be.output(
    perm.map((p) => x.shape[p]),
    x.storage.dtype,
  );
  const strides = stridesOf(x.shape);
  stridedGather(
    be,
    x,
    out,
    perm.map((p) => strides[p]),
    0,
  );
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [transposeKernel];

import { implement } from '../../registry.js';
import { transpose } from './contract.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import { output, rawInput } from '../../cpu/host.js';
import { permute } from '../../cpu/permute.js';

/** Contiguous copy of x with axes permuted (out axis i = x axis perm[i]); any dtype. */
const transposeKernel = implement(transpose, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('transpose', inputs, 1);
  const [xInfo] = inputs;
  const rank = xInfo.shape.length;
  const perm = attrs.perm;
  const valid = Array.isArray(perm) && perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!valid)
    throw kernelError(
      'transpose',
      `perm ${JSON.stringify(perm)} is not a permutation of the axes of ${fmt(xInfo.shape)}`,
    );
  // permute writes every element of the output.
  const out = output(
    backend,
    perm.map((p) => xInfo.shape[p]),
    xInfo.storage.dtype,
    false,
  );
  permute(rawInput(backend, xInfo, 'transpose'), xInfo.shape, perm, out.data);
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [transposeKernel];

import { implement } from '../../registry.js';
import { fmt, kernelError, stridesOf } from '../../shape.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { assert32, stridedCopy } from '../../webgpu/strided-copy.js';
import { transpose } from './contract.js';

/** A strided copy whose input strides are x's, permuted. */
const transposeKernel = implement(transpose, 'webgpu', ({ inputs, attrs, backend }) => {
  const [x] = inputs;
  assert32('transpose', x);
  const perm = attrs.perm;
  const valid = perm.length === x.shape.length && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!valid)
    throw kernelError('transpose', `perm ${JSON.stringify(perm)} is not a permutation of the axes of ${fmt(x.shape)}`);
  const st = stridesOf(x.shape);
  return stridedCopy(
    gpu(backend),
    'transpose',
    x,
    perm.map((a) => x.shape[a]),
    perm.map((a) => st[a]),
    0,
  );
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [transposeKernel];

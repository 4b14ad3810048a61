import { implement } from '../../registry.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { matmul } from './contract.js';
import { matmulRegblock } from './webgpu-regblock.js';
import { matmulTiled } from './webgpu-tiled.js';

/**
 * The register-blocked kernel where both output dims are at least 32 (its
 * tiles are then mostly full), the plain tiled kernel for skinny or tiny
 * products. Both are exported from '@molrl/gpu-backend/webgpu' for
 * benchmarks and tuning.
 */
const matmulKernel = implement(matmul, 'webgpu', ({ inputs, attrs, backend }) => {
  const [a, b] = inputs;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const N = attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const big = M >= 32 && N >= 32;
  return big ? matmulRegblock(gpu(backend), a, b, attrs) : matmulTiled(gpu(backend), a, b, attrs);
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [matmulKernel];

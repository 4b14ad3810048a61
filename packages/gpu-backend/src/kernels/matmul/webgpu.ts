import type { TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { matmul } from './contract.js';
import { matmulRegblock } from './webgpu-regblock.js';
import { matmulTiled } from './webgpu-tiled.js';

/**
 * The register-blocked kernel where both output dims are at least 32 (its
 * tiles are then mostly full), the plain tiled kernel for skinny or tiny
 * products. Both are exported from '@molrl/gpu-backend/webgpu' for
 * benchmarks and tuning. A float16/bfloat16 operand (a weight kept in half
 * precision) is widened to a temporary float32 copy first.
 */
const matmulKernel = implement(matmul, 'webgpu', ({ inputs, attrs, backend }) => {
  const temps: TensorInfo[] = [];
  const [a, b] = inputs.map((x) => {
    if (x.dtype !== 'float16' && x.dtype !== 'bfloat16') return x;
    const [wide] = backend.run('cast', [x], { dtype: 'float32' });
    temps.push(wide!);
    return wide!;
  }) as [TensorInfo, TensorInfo];
  try {
    return matmulF32(backend, a, b, attrs);
  } finally {
    // Released once the matmul is enqueued (the contract's ordering rules).
    for (const t of temps) backend.release(t.storage);
  }
});

/** Both operands float32. */
function matmulF32(
  backend: Parameters<Parameters<typeof implement>[2]>[0]['backend'],
  a: TensorInfo,
  b: TensorInfo,
  attrs: { transposeA?: boolean; transposeB?: boolean },
) {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const N = attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const big = M >= 32 && N >= 32;
  return big ? matmulRegblock(gpu(backend), a, b, attrs) : matmulTiled(gpu(backend), a, b, attrs);
}

/** The webgpu implementations of this folder's kernels. */
export const implementations = [matmulKernel];

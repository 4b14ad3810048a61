import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { MatmulAttrs } from '../../kernel-attrs.js';
import { matmulRegblockRun } from './matmul-regblock.js';
import { matmulTiledRun } from './matmul-tiled.js';
import { cast } from './cast.js';
import { gpu, requireInputs } from './util.js';

/**
 * The contract's `matmul`: the register-blocked kernel where both output
 * dims are at least 32 (its tiles are then mostly full), the plain tiled
 * kernel for skinny or tiny products. A float16/bfloat16 operand (a weight
 * kept in half precision) is widened to a temporary float32 copy first.
 */
export const matmul: KernelFunc<MatmulAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 2, 'matmul');
  const temps: TensorInfo[] = [];
  const [a, b] = [inputs[0]!, inputs[1]!].map((x) => {
    if (x.dtype !== 'float16' && x.dtype !== 'bfloat16') return x;
    const wide = cast({ inputs: [x], attrs: { dtype: 'float32' }, backend }) as TensorInfo;
    temps.push(wide);
    return wide;
  }) as [TensorInfo, TensorInfo];
  try {
    return matmulF32(a, b, attrs, backend);
  } finally {
    // Released once the matmul is enqueued (the contract's ordering rules).
    for (const t of temps) backend.release(t.storage);
  }
};

/** Both operands float32. */
const matmulF32 = (a: TensorInfo, b: TensorInfo, attrs: MatmulAttrs, backend: Parameters<KernelFunc>[0]['backend']) => {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = attrs.transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const N = attrs.transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const big = M >= 32 && N >= 32;
  return big ? matmulRegblockRun(gpu(backend), a, b, attrs) : matmulTiledRun(gpu(backend), a, b, attrs);
};

import type { KernelFunc } from '../../backend.js';
import type { MatmulAttrs } from '../../kernel-attrs.js';
import { matmulRegblockRun } from './matmul-regblock.js';
import { matmulTiledRun } from './matmul-tiled.js';
import { gpu, requireInputs } from './util.js';

/**
 * The contract's `matmul`: the register-blocked kernel where both output
 * dims are at least 32 (its tiles are then mostly full), the plain tiled
 * kernel for skinny or tiny products.
 */
export const matmul: KernelFunc<MatmulAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 2, 'matmul');
  const [a, b] = [inputs[0]!, inputs[1]!];
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = attrs.transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const N = attrs.transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const big = M >= 32 && N >= 32;
  return big ? matmulRegblockRun(gpu(backend), a, b, attrs) : matmulTiledRun(gpu(backend), a, b, attrs);
};

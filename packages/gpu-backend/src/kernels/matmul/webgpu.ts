import { implement } from '../../registry.js';
import { gpu, output } from '../../webgpu/kernel-util.js';
import { matmul } from './contract.js';
import { gemvApplies, matmulGemv } from './webgpu-gemv.js';
import { planMatmul } from './webgpu-plan.js';
import { matmulRegblock } from './webgpu-regblock.js';
import { matmulTiled } from './webgpu-tiled.js';

/**
 * Three kernels, by shape: a GEMV for a few rows against an unbatched b
 * (decoding through a weight), the register-blocked kernel where both output
 * dims are at least 32 (its tiles are then mostly full), and the plain tiled
 * kernel for the other skinny or tiny products. Each reads a float16 or
 * bfloat16 operand as stored and widens it in registers (a weight kept in
 * half precision is never copied to float32). All three are exported from
 * '@molrl/gpu-backend/webgpu' for benchmarks and tuning.
 */
export const matmulKernel = implement(matmul, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [x, w] = inputs;
  const plan = planMatmul(b, 'matmul', x, w, attrs);
  if (plan.M * plan.N * plan.batch === 0) return output(b, plan.outShape);
  if (gemvApplies(plan, w)) return matmulGemv(b, x, w, attrs);
  const big = plan.M >= 32 && plan.N >= 32;
  return big ? matmulRegblock(b, x, w, attrs) : matmulTiled(b, x, w, attrs);
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [matmulKernel];

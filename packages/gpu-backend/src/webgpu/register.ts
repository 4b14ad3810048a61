import type { KernelFunc } from '../backend.js';
import { BINARY_OPS, UNARY_OPS } from '../kernel-spec.js';
import { registerKernelTable } from '../registry.js';
import { adamw } from './kernels/adamw.js';
import { attention, attentionGrad } from './kernels/attention.js';
import { binaryKernel } from './kernels/binary.js';
import { cast, copy } from './kernels/cast.js';
import { crossEntropy, crossEntropyGrad } from './kernels/cross-entropy.js';
import { fill } from './kernels/fill.js';
import { gatherRows, putAlongAxis, scatterAddRows, takeAlongAxis } from './kernels/gather.js';
import { concat, slice, sliceGrad, transpose } from './kernels/layout.js';
import { matmul } from './kernels/matmul.js';
import { matmulRegblock } from './kernels/matmul-regblock.js';
import { matmulTiled } from './kernels/matmul-tiled.js';
import { randomNormal, randomUniform } from './kernels/random.js';
import { argmax, reduceKernel } from './kernels/reduce.js';
import { rmsNorm, rmsNormGrad } from './kernels/rms-norm.js';
import { rope } from './kernels/rope.js';
import { scalarOp } from './kernels/scalar-op.js';
import { siluGrad } from './kernels/silu-grad.js';
import { rowOpKernel } from './kernels/softmax.js';
import { unaryKernel } from './kernels/unary.js';
import { where } from './kernels/where.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of kernels with different attrs types
export const WEBGPU_KERNELS: Record<string, KernelFunc<any>> = {
  ...Object.fromEntries(BINARY_OPS.map((op) => [op, binaryKernel(op)])),
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, unaryKernel(op)])),
  scalarOp,
  siluGrad,
  matmul,
  sum: reduceKernel('sum'),
  mean: reduceKernel('mean'),
  max: reduceKernel('max'),
  argmax,
  softmax: rowOpKernel('softmax'),
  logSoftmax: rowOpKernel('logSoftmax'),
  logSumExp: rowOpKernel('logSumExp'),
  softmaxGrad: rowOpKernel('softmaxGrad'),
  logSoftmaxGrad: rowOpKernel('logSoftmaxGrad'),
  rmsNorm,
  rmsNormGrad,
  rope,
  attention,
  attentionGrad,
  gatherRows,
  scatterAddRows,
  takeAlongAxis,
  putAlongAxis,
  where,
  transpose,
  slice,
  sliceGrad,
  concat,
  cast,
  copy,
  fill,
  randomUniform,
  randomNormal,
  adamw,
  // Extras (not in the contract): the two matmul kernels by name, for benchmarks and tuning.
  matmulTiled,
  matmulRegblock,
  // Extras: fused cross-entropy over large vocabularies (see kernels/cross-entropy.ts).
  crossEntropy,
  crossEntropyGrad,
};

/** Register every webgpu kernel (idempotent). */
export function registerWebgpuKernels(): void {
  registerKernelTable('webgpu', WEBGPU_KERNELS);
}
registerWebgpuKernels();

import { hasKernel, registerKernel, type KernelConfig } from '../registry.js';
import { adamwKernel } from './kernels/adamw.js';
import { argmaxKernel } from './kernels/argmax.js';
import { attentionKernel } from './kernels/attention.js';
import { attentionGradKernel } from './kernels/attention-grad.js';
import { binaryKernels } from './kernels/binary.js';
import { castKernel } from './kernels/cast.js';
import { concatKernel } from './kernels/concat.js';
import { copyKernel } from './kernels/copy.js';
import { fillKernel } from './kernels/fill.js';
import { gatherRowsKernel } from './kernels/gather-rows.js';
import { matmulKernel } from './kernels/matmul.js';
import { putAlongAxisKernel } from './kernels/put-along-axis.js';
import { randomNormalKernel, randomUniformKernel } from './kernels/random.js';
import { reduceKernels } from './kernels/reduce.js';
import { rmsNormGradKernel, rmsNormKernel } from './kernels/rms-norm.js';
import { ropeKernel } from './kernels/rope.js';
import { scalarOpKernel } from './kernels/scalar-op.js';
import { scatterAddRowsKernel } from './kernels/scatter-add-rows.js';
import { siluGradKernel } from './kernels/silu-grad.js';
import { sliceGradKernel, sliceKernel } from './kernels/slice.js';
import { softmaxKernels } from './kernels/softmax.js';
import { takeAlongAxisKernel } from './kernels/take-along-axis.js';
import { transposeKernel } from './kernels/transpose.js';
import { unaryKernels } from './kernels/unary.js';
import { whereKernel } from './kernels/where.js';

/** Every kernel of the cpu backend. */
export const CPU_KERNELS: readonly KernelConfig[] = [
  ...binaryKernels,
  scalarOpKernel,
  ...unaryKernels,
  siluGradKernel,
  matmulKernel,
  ...reduceKernels,
  argmaxKernel,
  ...softmaxKernels,
  rmsNormKernel,
  rmsNormGradKernel,
  ropeKernel,
  attentionKernel,
  attentionGradKernel,
  gatherRowsKernel,
  scatterAddRowsKernel,
  takeAlongAxisKernel,
  putAlongAxisKernel,
  whereKernel,
  transposeKernel,
  sliceKernel,
  sliceGradKernel,
  concatKernel,
  castKernel,
  copyKernel,
  fillKernel,
  randomUniformKernel,
  randomNormalKernel,
  adamwKernel,
];

/** Register the cpu kernels (idempotent: a kernel already registered is left as is). */
export function registerCpuKernels(): void {
  for (const config of CPU_KERNELS) {
    if (!hasKernel(config.name, config.backend)) registerKernel(config);
  }
}

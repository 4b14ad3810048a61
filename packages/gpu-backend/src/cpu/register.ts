import { hasKernel, registerKernel, type KernelConfig } from '../registry.js';
import { argmaxKernel } from './kernels/argmax.js';
import { binaryKernels } from './kernels/binary.js';
import { matmulKernel } from './kernels/matmul.js';
import { reduceKernels } from './kernels/reduce.js';
import { scalarOpKernel } from './kernels/scalar-op.js';
import { siluGradKernel } from './kernels/silu-grad.js';
import { softmaxKernels } from './kernels/softmax.js';
import { unaryKernels } from './kernels/unary.js';

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
];

/** Register the cpu kernels (idempotent: a kernel already registered is left as is). */
export function registerCpuKernels(): void {
  for (const config of CPU_KERNELS) {
    if (!hasKernel(config.name, config.backend)) registerKernel(config);
  }
}

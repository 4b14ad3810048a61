import type { KernelFunc } from '../backend.js';
import { registerKernel } from '../registry.js';
import { matmul } from './kernels/matmul.js';

/** Every gpujs kernel, by contract name. */
const GPUJS_KERNELS: Record<string, KernelFunc<any>> = {
  matmul,
};

for (const [name, kernel] of Object.entries(GPUJS_KERNELS)) registerKernel({ name, backend: 'gpujs', kernel });

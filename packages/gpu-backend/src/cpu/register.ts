import { CPU_KERNELS } from '../kernels/cpu.js';
import { registerLibraryKernels } from '../registry.js';

export { CPU_KERNELS } from '../kernels/cpu.js';

/** Register the cpu kernels (idempotent; an application's `{ replace: true }` registration stays). */
export function registerCpuKernels(): void {
  registerLibraryKernels(CPU_KERNELS);
}

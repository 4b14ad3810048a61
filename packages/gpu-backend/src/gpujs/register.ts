import { GPUJS_KERNELS } from '../kernels/gpujs.js';
import { registerLibraryKernels } from '../registry.js';

export { GPUJS_KERNELS } from '../kernels/gpujs.js';

/** Register the gpujs kernels (idempotent; an application's `{ replace: true }` registration stays). */
export function registerGpujsKernels(): void {
  registerLibraryKernels(GPUJS_KERNELS);
}

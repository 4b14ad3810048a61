import { WEBGPU_KERNELS } from '../kernels/webgpu.js';
import { registerLibraryKernels } from '../registry.js';

export { WEBGPU_KERNELS } from '../kernels/webgpu.js';

/** Register the webgpu kernels (idempotent; an application's `{ replace: true }` registration stays). */
export function registerWebgpuKernels(): void {
  registerLibraryKernels(WEBGPU_KERNELS);
}

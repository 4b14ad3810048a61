import { WebgpuBackend, type WebgpuBackendOptions } from './backend.js';
import { registerWebgpuKernels } from './register.js';

export { WebgpuBackend, type WebgpuBackendOptions } from './backend.js';
export { WebgpuStorage } from './storage.js';
export { NO_ADAPTER_HELP } from './device.js';
export { probeWebgpu } from './probe.js';
export { registerWebgpuKernels, WEBGPU_KERNELS } from './register.js';

/** Create the WebGPU backend and wait until its device is ready. */
export async function createWebgpuBackend(options: WebgpuBackendOptions = {}): Promise<WebgpuBackend> {
  // Explicit, not only the import's side effect: the package is marked side-effect free, so bundlers drop bare imports.
  registerWebgpuKernels();
  const backend = new WebgpuBackend(options);
  await backend.ready();
  return backend;
}

import './register.js';
import { WebgpuBackend, type WebgpuBackendOptions } from './backend.js';

export { WebgpuBackend, type WebgpuBackendOptions } from './backend.js';
export { WebgpuStorage } from './storage.js';
export { NO_ADAPTER_HELP } from './device.js';
export { registerWebgpuKernels, WEBGPU_KERNELS } from './register.js';

/** Create the WebGPU backend and wait until its device is ready. */
export async function createWebgpuBackend(options: WebgpuBackendOptions = {}): Promise<WebgpuBackend> {
  const backend = new WebgpuBackend(options);
  await backend.ready();
  return backend;
}

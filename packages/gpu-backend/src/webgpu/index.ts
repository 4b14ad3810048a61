import { WebgpuBackend, type WebgpuBackendOptions } from './backend.js';
import { registerWebgpuKernels } from './register.js';

export { WebgpuBackend, WEBGPU_BACKEND_OPTION_NAMES, type WebgpuBackendOptions } from './backend.js';
export { WebgpuStorage } from './storage.js';
export {
  formatKernelProfile,
  summariseKernelTimes,
  type KernelProfile,
  type KernelProfileGrouping,
  type KernelTime,
} from './kernel-profile.js';
export { NO_ADAPTER_HELP } from './device.js';
export { probeWebgpu } from './probe.js';
export { registerWebgpuKernels, WEBGPU_KERNELS } from './register.js';
export {
  shaderKey,
  shaderTemplate,
  type ShaderParams,
  type ShaderSource,
  type ShaderTemplate,
  type UniformLayout,
} from './shader.js';
export { matmulTiled } from '../kernels/matmul/webgpu-tiled.js';
export { gemvApplies, GEMV_MAX_ROWS, matmulGemv } from '../kernels/matmul/webgpu-gemv.js';
export type { OperandFormat } from './operand.js';
export {
  chooseSplitK,
  chooseTile,
  FILL_WORKGROUPS,
  matmulRegblock,
  TILE_128,
  TILE_64,
  type RegblockAttrs,
  type RegblockTile,
} from '../kernels/matmul/webgpu-regblock.js';

/** Create the WebGPU backend (its kernels registered) and wait until its device is ready. */
export async function createWebgpuBackend(options: WebgpuBackendOptions = {}): Promise<WebgpuBackend> {
  registerWebgpuKernels();
  const backend = new WebgpuBackend(options);
  await backend.ready();
  return backend;
}

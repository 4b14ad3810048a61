import { CpuBackend, type CpuBackendOptions } from './backend.js';
import { registerCpuKernels } from './register.js';

export { CpuBackend, CPU_BACKEND_OPTION_NAMES, type CpuBackendOptions, type KernelProfile } from './backend.js';
export { CpuStorage, type HostArray } from './storage.js';
export { CPU_KERNELS, registerCpuKernels } from './register.js';
export {
  configureGemm,
  disposeGemm,
  gemm,
  gemmImplementation,
  gemmReference,
  getGemmConfig,
  initGemm,
  type GemmChoice,
  type GemmConfig,
  type GemmImplementation,
  type GemmParams,
} from './matmul/gemm.js';
export { nativeGemmStatus, type NativeGemmStatus } from './matmul/native-gemm.js';
export { gemv, type GemvElement, type GemvParams } from './matmul/gemv.js';

/** Create the reference CPU backend (kernels registered, fast GEMM initialised). */
export async function createCpuBackend(options: CpuBackendOptions = {}): Promise<CpuBackend> {
  registerCpuKernels();
  const backend = new CpuBackend(options);
  await backend.ready();
  return backend;
}

export type { Backend, BackendFactory, BackendOptions, KernelArgs, KernelAttrs, KernelFunc, MemoryInfo, Storage, TensorInfo } from './backend.js';
export { DTYPES, bytesPerElement, isFloat, type DType } from './dtype.js';
export { KERNEL_NAMES, KERNEL_SPECS, type BinaryOp, type KernelSpec, type UnaryOp } from './kernel-spec.js';
export {
  declareUnsupported,
  getKernel,
  hasKernel,
  listKernels,
  listUnsupported,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type UnsupportedKernel,
} from './registry.js';

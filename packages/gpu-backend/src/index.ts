export type {
  Backend,
  BackendFactory,
  BackendOptions,
  KernelArgs,
  KernelAttrs,
  KernelFunc,
  MemoryInfo,
  Storage,
  TensorInfo,
} from './backend.js';
export { createBackend, listBackends, registerBackend } from './backends.js';
export { CpuBackend, createCpuBackend, type CpuBackendOptions, type KernelProfile } from './cpu/index.js';
export { DTYPES, bytesPerElement, isFloat, type DType } from './dtype.js';
export {
  bfloat16ArrayToFloat32,
  bfloat16BitsToFloat32,
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32Bits,
  float32FromBits,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  floatToInt32,
} from './dtype-convert.js';
export { KERNEL_NAMES, KERNEL_SPECS, type BinaryOp, type KernelSpec, type UnaryOp } from './kernel-spec.js';
export { kernelTableMarkdown } from './kernel-table.js';
export { fillNormal, fillUniform, philox4x32, philoxStream, uniformFromWord } from './random/philox.js';
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
export {
  assertInputCount,
  assertSameShape,
  broadcastShapes,
  broadcastStrides,
  kernelError,
  matmulShape,
  normalizeAxes,
  normalizeAxis,
  reducedShape,
  sizeOf,
  splitAtAxis,
  stridesOf,
  type MatmulShape,
} from './shape.js';

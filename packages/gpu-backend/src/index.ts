export type {
  Backend,
  BackendFactory,
  BackendOptions,
  KernelArgs,
  KernelAttrs,
  KernelFunc,
  KernelResult,
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
export {
  attr,
  type AttrSchema,
  type AttrsOfSchema,
  type AttrType,
  type NoAttrs,
  type OptionalAttrType,
} from './contract/attr-types.js';
export {
  defineKernel,
  type ContractAttrs,
  type InputSpec,
  type KernelContract,
  type KernelTypeOf,
  type OutputSpec,
} from './contract/kernel-contract.js';
export type { AttrsOf, KernelName, KernelTypes, RunAttrs } from './contract/kernel-types.js';
export { backendError, kernelError } from './errors.js';
export { unknownOptionProblem } from './backend-options.js';
export { KERNEL_CONTRACTS } from './kernels/contracts.js';
export {
  BINARY_OPS,
  KERNEL_NAMES,
  KERNEL_SPECS,
  UNARY_OPS,
  type BinaryOp,
  type KernelSpec,
  type UnaryOp,
} from './kernel-spec.js';
export { kernelTableMarkdown } from './kernel-table.js';
export { fillNormal, fillUniform, philox4x32, philoxStream, uniformFromWord } from './random/philox.js';
export {
  declareUnsupported,
  getKernel,
  getKernelContract,
  hasKernel,
  implement,
  isLibraryKernel,
  listKernels,
  listUnsupported,
  registerKernel,
  registerKernels,
  unregisterKernel,
  type KernelImplementation,
  type RegisterOptions,
  type UnsupportedKernel,
} from './registry.js';
export { runByName } from './run-by-name.js';
export {
  assertDType,
  assertInputCount,
  assertSameShape,
  broadcastShapes,
  broadcastStrides,
  matmulShape,
  normalizeAxes,
  normalizeAxis,
  reducedShape,
  sizeOf,
  splitAtAxis,
  stridesOf,
  type MatmulShape,
} from './shape.js';

import type { Backend, TensorInfo } from '../backend.js';
import type { DType } from '../dtype.js';
import { bfloat16ArrayToFloat32, float16ArrayToFloat32 } from '../dtype-convert.js';
import { kernelError } from '../shape.js';
import type { CpuBackend } from './backend.js';
import type { HostArray } from './storage.js';

/** Helpers the CPU kernels share to reach host memory. */

export function cpuOf(backend: Backend): CpuBackend {
  return backend as CpuBackend;
}

/** Raw host array of an input, in its storage dtype (no copy). */
export function rawInput(backend: Backend, info: TensorInfo, kernel: string): HostArray {
  return cpuOf(backend).dataOf(info.storage, kernel);
}

/**
 * An input as float32. float32 storages are returned without a copy (never
 * write to them); float16/bfloat16/int32 are widened into a new array.
 */
export function floatInput(backend: Backend, info: TensorInfo, kernel: string): Float32Array {
  const data = rawInput(backend, info, kernel);
  switch (info.storage.dtype) {
    case 'float32':
      return data as Float32Array;
    case 'float16':
      return float16ArrayToFloat32(data as Uint16Array);
    case 'bfloat16':
      return bfloat16ArrayToFloat32(data as Uint16Array);
    default:
      return Float32Array.from(data as Int32Array);
  }
}

/** An index input: must be int32. */
export function intInput(backend: Backend, info: TensorInfo, kernel: string, what: string): Int32Array {
  if (info.storage.dtype !== 'int32') {
    throw kernelError(kernel, `${what} must be int32, got ${info.storage.dtype}`);
  }
  return rawInput(backend, info, kernel) as Int32Array;
}

export interface Output<T extends HostArray> {
  info: TensorInfo;
  data: T;
}

/**
 * A float32 output the kernel writes in full (every element, whatever the input):
 * not zeroed first, so it may hold stale values until written.
 */
export function writtenFloatOutput(backend: Backend, shape: readonly number[]): Output<Float32Array> {
  return output(backend, shape, 'float32', false) as Output<Float32Array>;
}

export function floatOutput(backend: Backend, shape: readonly number[]): Output<Float32Array> {
  return output(backend, shape, 'float32') as Output<Float32Array>;
}

/** An output storage, zeroed unless `zeroed` is false (a kernel that writes every element). */
export function output(backend: Backend, shape: readonly number[], dtype: DType, zeroed = true): Output<HostArray> {
  let size = 1;
  for (const d of shape) size *= d;
  const storage = cpuOf(backend).alloc(size, dtype, { zeroed });
  return { info: { storage, shape: [...shape], dtype }, data: storage.data! };
}

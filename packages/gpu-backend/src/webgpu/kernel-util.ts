import type { Backend, TensorInfo } from '../backend.js';
import type { DType } from '../dtype.js';
import { kernelError } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { WebgpuBackend } from './backend.js';
import { asWebgpuStorage } from './storage.js';

/** Threads per workgroup of the elementwise-style kernels. */
export const WG = 256;

export function gpu(backend: Backend): WebgpuBackend {
  if (backend.name !== 'webgpu') throw new Error(`a webgpu kernel was called with backend '${backend.name}'`);
  return backend as WebgpuBackend;
}

/** The GPUBuffer of an input or output, checking it belongs to this backend and is alive. */
export function buf(info: TensorInfo, kernel: string, which = 'output'): GPUBuffer {
  return asWebgpuStorage(info.storage, `${kernel}: ${which}`).buffer;
}

/** A new output TensorInfo whose storage the kernel overwrites completely (or a zeroed one). */
export function output(
  backend: WebgpuBackend,
  shape: readonly number[],
  dtype: DType = 'float32',
  zeroed = false,
): TensorInfo {
  const size = sizeOf(shape);
  const storage = zeroed ? backend.alloc(size, dtype) : backend.createStorage(size, dtype);
  return { storage, shape: [...shape], dtype };
}

/** WGSL element type of a 4-byte storage dtype. */
export function wgslType(kernel: string, dtype: DType): 'f32' | 'i32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  throw kernelError(kernel, `a ${dtype} input is not supported here (cast it to float32 first)`);
}

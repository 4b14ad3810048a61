import type { TensorInfo } from '../backend.js';
import { kernelError } from '../shape.js';

/**
 * Index checks of the gpujs gathers and scatters: indices are validated on
 * the host before the launch (an index out of range is an error, never a
 * silent read), which in webgpu mode happens when the launch runs.
 */

export function checkIndices(kernel: string, indices: Int32Array, limit: number, what: string): void {
  for (let n = 0; n < indices.length; n++) {
    const j = indices[n];
    if (j < 0 || j >= limit) throw kernelError(kernel, `index ${j} at position ${n} is out of range for ${what}`);
  }
}

export function checkInt32(kernel: string, info: TensorInfo): void {
  if (info.storage.dtype !== 'int32') throw kernelError(kernel, `indices must be int32, got ${info.storage.dtype}`);
}

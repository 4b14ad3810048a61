import type { Storage } from '../backend.js';
import { bytesPerElement, type DType } from '../dtype.js';

/**
 * A GPUBuffer holding `size` elements. float32 and int32 use 4 bytes per
 * element; float16 and bfloat16 are packed two per 32-bit word (little-endian
 * halves, the buffer padded to a multiple of 4 bytes), so WGSL kernels read
 * them as `array<u32>` on every adapter, with or without `shader-f16`.
 */
export class WebgpuStorage implements Storage {
  readonly backend = 'webgpu';
  released = false;

  constructor(
    readonly size: number,
    readonly dtype: DType,
    readonly buffer: GPUBuffer,
    /** Bytes of guard region after the data (conformance checks; 0 normally). */
    readonly guardBytes = 0,
  ) {}

  /** Logical bytes (what memory accounting counts). */
  get bytes(): number {
    return this.size * bytesPerElement(this.dtype);
  }

  /** Bytes rounded up to whole 32-bit words (what copies move). */
  get wordBytes(): number {
    return Math.ceil(this.bytes / 4) * 4;
  }
}

export function asWebgpuStorage(storage: Storage, where: string): WebgpuStorage {
  if (!(storage instanceof WebgpuStorage)) {
    throw new Error(`${where}: storage belongs to backend '${storage.backend}', not 'webgpu'`);
  }
  if (storage.released) throw new Error(`${where}: storage was already released`);
  return storage;
}

import type { Storage } from '../backend.js';
import type { DType } from '../dtype.js';

export type HostArray = Float32Array | Int32Array | Uint16Array;

/**
 * A gpujs storage lives in host memory: gpu.js takes typed arrays as kernel
 * arguments and returns typed arrays. float32 as Float32Array, int32 as
 * Int32Array, float16/bfloat16 as their raw bits in a Uint16Array. `data` is
 * replaced, never written through, when a kernel produces the storage's
 * contents, so arrays handed to a running kernel stay unchanged.
 */
export class GpujsStorage implements Storage {
  readonly backend = 'gpujs';
  released = false;

  constructor(
    readonly size: number,
    readonly dtype: DType,
    public data: HostArray,
  ) {}
}

export function emptyHostArray(size: number, dtype: DType): HostArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(size);
    default:
      throw new Error(`gpujs: unknown dtype '${String(dtype)}'`);
  }
}

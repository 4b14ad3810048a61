import type { DType } from './dtype.js';

/** Host memory of a storage: float32 -> Float32Array, float16/bfloat16 -> raw Uint16Array bits, int32 -> Int32Array. */
export type HostArray = Float32Array | Int32Array | Uint16Array;

/** A zeroed host array of `size` elements of `dtype`. */
export function allocHostArray(size: number, dtype: DType): HostArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(size);
    default:
      throw new Error(`unknown dtype '${String(dtype)}'`);
  }
}

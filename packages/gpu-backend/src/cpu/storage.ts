import type { Storage } from '../backend.js';
import type { DType } from '../dtype.js';

/** Host memory of a storage: float32 -> Float32Array, float16/bfloat16 -> raw Uint16Array bits, int32 -> Int32Array. */
export type HostArray = Float32Array | Int32Array | Uint16Array;

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

export class CpuStorage implements Storage {
  readonly backend: string;
  readonly id: number;
  readonly size: number;
  readonly dtype: DType;
  /** null once released. */
  data: HostArray | null;

  constructor(backend: string, id: number, dtype: DType, data: HostArray) {
    this.backend = backend;
    this.id = id;
    this.size = data.length;
    this.dtype = dtype;
    this.data = data;
  }

  describe(): string {
    return `storage #${this.id} (${this.dtype}[${this.size}])`;
  }
}

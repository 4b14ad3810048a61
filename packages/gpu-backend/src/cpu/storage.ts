import type { Storage } from '../backend.js';
import type { DType } from '../dtype.js';
import type { HostArray } from '../host-array.js';

export { allocHostArray, type HostArray } from '../host-array.js';

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

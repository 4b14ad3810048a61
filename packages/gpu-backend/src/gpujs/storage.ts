import type { Storage } from '../backend.js';
import type { DType } from '../dtype.js';
import type { HostArray } from '../host-array.js';

export type { HostArray } from '../host-array.js';

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

import type { Storage } from '../backend.js';
import type { DType } from '../dtype.js';
import { fillGuard } from '../guards.js';
import { allocHostArray, type HostArray } from '../host-array.js';

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
  /** Guard elements around the data (conformance checks; 0 normally): every array stored is copied between them. */
  guard = 0;
  /** Elements of the last array stored (differs from size when a kernel stored the wrong number). */
  stored: number;
  private host: HostArray;

  constructor(
    readonly size: number,
    readonly dtype: DType,
    data: HostArray,
  ) {
    this.host = data;
    this.stored = data.length;
  }

  get data(): HostArray {
    return this.host;
  }

  set data(values: HostArray) {
    this.stored = values.length;
    this.host = this.guard > 0 ? guarded(values, this.guard) : values;
  }

  /** From now on keep the data between `elements` guard elements on each side. */
  guardWith(elements: number): void {
    this.guard = elements;
    this.data = this.host;
  }

  /** The raw bits before and after the data (empty when unguarded). */
  guardRegions(): [Uint32Array | Uint16Array, Uint32Array | Uint16Array] {
    const bits = rawBits(this.host);
    const start = bits.byteOffset / bits.BYTES_PER_ELEMENT;
    const end = start + bits.length;
    const whole =
      bits instanceof Uint16Array
        ? new Uint16Array(bits.buffer, 0, end + this.guard)
        : new Uint32Array(bits.buffer, 0, end + this.guard);
    return [whole.subarray(start - this.guard, start), whole.subarray(end)];
  }
}

function rawBits(data: HostArray): Uint32Array | Uint16Array {
  return data instanceof Uint16Array ? data : new Uint32Array(data.buffer, data.byteOffset, data.length);
}

/** `values` copied into the middle of a larger array whose first and last `guard` elements hold the sentinel. */
function guarded(values: HostArray, guard: number): HostArray {
  const dtype: DType = values instanceof Float32Array ? 'float32' : values instanceof Int32Array ? 'int32' : 'float16';
  const whole = allocHostArray(values.length + 2 * guard, dtype);
  const bits = rawBits(whole);
  fillGuard(bits.subarray(0, guard));
  fillGuard(bits.subarray(guard + values.length));
  const data = whole.subarray(guard, guard + values.length);
  data.set(values as never);
  return data;
}

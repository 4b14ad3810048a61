/**
 * Host arrays of released storages kept for reuse, by dtype and length.
 *
 * A training step allocates the same activation and gradient shapes every
 * step; a fresh typed array of a few MB costs a zeroed mapping plus a page
 * fault per 4 KiB on first write, about 3-6x the cost of zeroing one that is
 * already mapped (measured on the default model's step). Reused arrays are
 * zeroed, so `alloc` keeps its zero-initialised contract; an output its kernel
 * writes in full skips that (`take(size, dtype, false)`).
 *
 * Only arrays the backend allocated itself come here (an adopted array may
 * still be referenced by whoever passed it in). The pool holds at most
 * `maxBytes`; beyond that a released array is left to the garbage collector.
 */
import { bytesPerElement, type DType } from '../dtype.js';
import { allocHostArray, type HostArray } from '../host-array.js';

/** Arrays under this many bytes are cheap to allocate fresh and are not pooled. */
const MIN_POOLED_BYTES = 4096;

export class StoragePool {
  private readonly free = new Map<string, HostArray[]>();
  private held = 0;

  constructor(readonly maxBytes: number) {
    if (!(Number.isFinite(maxBytes) && maxBytes >= 0))
      throw new Error(`storage pool: maxBytes must be a non-negative number, got ${maxBytes}`);
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.held;
  }

  /**
   * An array of `size` elements of `dtype`, reused when one is free: zeroed, or with
   * `zeroed` false as a reused array was left (for an output its kernel writes in full;
   * zeroing it first would be one more pass over memory for nothing).
   */
  take(size: number, dtype: DType, zeroed = true): HostArray {
    const list = this.free.get(key(size, dtype));
    const reused = list?.pop();
    if (!reused) return allocHostArray(size, dtype);
    this.held -= reused.byteLength;
    if (zeroed) reused.fill(0);
    return reused;
  }

  /** Keep a released array for reuse (or drop it when the pool is full or it is small). */
  give(data: HostArray, dtype: DType): void {
    const bytes = data.length * bytesPerElement(dtype);
    if (bytes < MIN_POOLED_BYTES || this.held + bytes > this.maxBytes) return;
    const k = key(data.length, dtype);
    const list = this.free.get(k);
    if (list) list.push(data);
    else this.free.set(k, [data]);
    this.held += bytes;
  }

  clear(): void {
    this.free.clear();
    this.held = 0;
  }
}

const key = (size: number, dtype: DType) => `${dtype}:${size}`;

/**
 * Host arrays of released storages kept for reuse, by dtype, best fit by length.
 *
 * A training step allocates the same activation and gradient shapes every
 * step; a fresh typed array of a few MB costs a zeroed mapping plus a page
 * fault per 4 KiB on first write, about 3-6x the cost of zeroing one that is
 * already mapped (measured on the default model's step; 20-30x on a machine
 * with slow page faults). GRPO's and MoL's micro-batches are padded to their
 * own longest sequence, so the same activation comes back rows longer or
 * shorter: a request is served by the smallest free array at least as long,
 * when it is at most twice as long (a view of its first `size` elements; the
 * whole array returns here on release). Twice, not a quarter longer as at
 * first: GRPO's micro-batch lengths on the default model vary by a third, and
 * most of what a quarter's slack missed was within 1.25-1.5x. `molrl run` then
 * made 1.0 GB of fresh arrays instead of 7.2 GB, its peak RSS fell (853-915
 * MB -> 793-812 MB over three runs each) and its wall time by 12% (90 -> 79 s,
 * each pair of runs in the same direction). The slack costs at most the served
 * array's own length, which the longest micro-batch needed anyway. Reused
 * arrays are zeroed, so `alloc` keeps its
 * zero-initialised contract; an output its kernel writes in full skips that
 * (`take(size, dtype, false)`).
 *
 * Only arrays the backend allocated itself come here (an adopted array may
 * still be referenced by whoever passed it in). The pool holds at most
 * `maxBytes`: a released array that does not fit makes room by dropping the
 * free arrays released longest ago, so the pool follows the shapes of the
 * work at hand. (Kept until the pool was full and never dropped, an earlier
 * phase's arrays, too long for the requests that followed, served nothing
 * while every new array was left to the garbage collector: `molrl run` made
 * 13.6 GB of fresh arrays, 12.7 GB of them for want of one within the slack;
 * with the oldest dropped, 7.2 GB.)
 */
import { bytesPerElement, type DType } from '../dtype.js';
import { allocHostArray, type HostArray } from '../host-array.js';

/** Arrays under this many bytes are cheap to allocate fresh and are not pooled. */
const MIN_POOLED_BYTES = 4096;

/** A free array serves a request at most this fraction longer than it asks for (1: up to twice its length). */
export const MAX_SLACK = 1;

export class StoragePool {
  /** Free arrays per dtype, shortest first. */
  private readonly free = new Map<DType, HostArray[]>();
  /** Every free array and its dtype, in the order they were released (the oldest first). */
  private readonly released = new Map<HostArray, DType>();
  /** The whole array behind each view handed out (an exact fit is handed out whole). */
  private readonly whole = new WeakMap<HostArray, HostArray>();
  private held = 0;
  private fresh = 0;

  constructor(
    readonly maxBytes: number,
    /** How much longer than a request a free array may be to serve it, as a fraction of the request. */
    readonly maxSlack = MAX_SLACK,
  ) {
    if (!(Number.isFinite(maxBytes) && maxBytes >= 0))
      throw new Error(`storage pool: maxBytes must be a non-negative number, got ${maxBytes}`);
    if (!(Number.isFinite(maxSlack) && maxSlack >= 0))
      throw new Error(`storage pool: maxSlack must be a non-negative number, got ${maxSlack}`);
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.held;
  }

  /** Bytes of the arrays `take` allocated new (no free array fitted), since creation. */
  get freshBytes(): number {
    return this.fresh;
  }

  /**
   * An array of `size` elements of `dtype`, reused when a free one fits: zeroed, or with
   * `zeroed` false as a reused array was left (for an output its kernel writes in full;
   * zeroing it first would be one more pass over memory for nothing).
   */
  take(size: number, dtype: DType, zeroed = true): HostArray {
    const list = this.free.get(dtype);
    const at = list ? firstAtLeast(list, size) : -1;
    const fits = at >= 0 && list![at]!.length <= size + Math.floor(size * this.maxSlack);
    if (!fits) {
      this.fresh += size * bytesPerElement(dtype);
      return allocHostArray(size, dtype);
    }
    const array = list!.splice(at, 1)[0]!;
    this.released.delete(array);
    this.held -= array.byteLength;
    const data = array.length === size ? array : array.subarray(0, size);
    if (data !== array) this.whole.set(data, array);
    if (zeroed) data.fill(0);
    return data;
  }

  /**
   * Keep a released array for reuse, dropping the free arrays released longest
   * ago when the pool has no room for it (a small array, or one larger than the
   * whole pool, is not kept).
   */
  give(data: HostArray, dtype: DType): void {
    const array = this.whole.get(data) ?? data;
    this.whole.delete(data);
    const bytes = array.length * bytesPerElement(dtype);
    if (bytes < MIN_POOLED_BYTES || bytes > this.maxBytes) return;
    for (const [oldest, oldestType] of this.released) {
      if (this.held + bytes <= this.maxBytes) break;
      this.drop(oldest, oldestType);
    }
    let list = this.free.get(dtype);
    if (!list) this.free.set(dtype, (list = []));
    const at = firstAtLeast(list, array.length);
    list.splice(at < 0 ? list.length : at, 0, array);
    this.released.set(array, dtype);
    this.held += bytes;
  }

  clear(): void {
    this.free.clear();
    this.released.clear();
    this.held = 0;
  }

  /** Leave a free array to the garbage collector. */
  private drop(array: HostArray, dtype: DType): void {
    const list = this.free.get(dtype)!;
    // Arrays of one length sit together (shortest first): find this one among them.
    let at = firstAtLeast(list, array.length);
    while (list[at] !== array) at++;
    list.splice(at, 1);
    this.released.delete(array);
    this.held -= array.byteLength;
  }
}

/** Index of the first array of `list` (shortest first) with at least `size` elements, or -1. */
function firstAtLeast(list: readonly HostArray[], size: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.length < size) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? lo : -1;
}

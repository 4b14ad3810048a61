/** WebGPU buffer usage bits (the spec's values; Node has no GPUBufferUsage global unless installed). */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/**
 * Round a byte size up to its pool bucket: 256-byte steps up to 4 KiB, then
 * quarter steps between powers of two (at most 25% waste), so buffers of
 * similar sizes (activations of one layer across steps) are reused.
 */
export function bucketBytes(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const pow = 2 ** Math.floor(Math.log2(b));
  const step = pow / 4;
  return Math.ceil(b / step) * step;
}

/**
 * `bucketBytes(bytes)`, but never above `cap` when the request itself fits under
 * it (then at most the cap, rounded down to whole words); a request over the cap
 * gets its own size, rounded up to whole words.
 */
export function cappedBucketBytes(bytes: number, cap: number): number {
  const bucket = bucketBytes(bytes);
  if (bucket <= cap) return bucket;
  const words = Math.max(16, Math.ceil(bytes / 4) * 4);
  return words <= cap ? Math.max(words, Math.floor(cap / 4) * 4) : words;
}

/**
 * Size-bucketed reuse of storage buffers. A released buffer may still be read
 * by commands recorded but not yet submitted, so it is parked until the
 * backend submits (`recycle`); only then can a later upload (queue.writeBuffer,
 * which runs before pending commands) or kernel safely overwrite it.
 *
 * A request gets the oldest free buffer of its bucket (the lowest creation
 * number), so which buffer it gets depends only on which are free, not on the
 * order they were released in: a decoding step that repeats the last one's
 * work gets the same buffers again, and the backend's cached bind groups for them.
 */
export class BufferPool {
  /** Free buffers per bucket, newest first (the oldest is popped). */
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly order = new WeakMap<GPUBuffer, number>();
  private created = 0;
  private parked: GPUBuffer[] = [];
  /** Bytes held by free (pooled, reusable) buffers. */
  pooledBytes = 0;
  /** Bytes of every buffer this pool created and has not destroyed. */
  deviceBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Cap on pooled-but-free bytes; beyond it released buffers are destroyed. */
    private readonly maxPooledBytes: number,
    /**
     * The largest buffer a bucket may round up to: the adapter's binding limit
     * (maxStorageBufferBindingSize, within maxBufferSize). A request that fits
     * under it must not be rounded over it, or a tensor that fits could not be bound.
     */
    private readonly maxBucketBytes = Infinity,
  ) {}

  /** A buffer of at least `bytes` (its size is the bucket); `fresh` is true when newly created (zero-filled). */
  acquire(bytes: number): { buffer: GPUBuffer; fresh: boolean } {
    const size = cappedBucketBytes(bytes, this.maxBucketBytes);
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= size;
      return { buffer: reused, fresh: false };
    }
    const buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE });
    this.order.set(buffer, this.created++);
    this.deviceBytes += size;
    return { buffer, fresh: true };
  }

  /** Return a buffer; it becomes reusable after the next submission. */
  release(buffer: GPUBuffer): void {
    this.parked.push(buffer);
  }

  /** Called right after a submission: parked buffers become reusable. */
  recycle(): void {
    const touched = new Set<GPUBuffer[]>();
    for (const buffer of this.parked) {
      const size = buffer.size;
      if (this.pooledBytes + size > this.maxPooledBytes) {
        buffer.destroy();
        this.deviceBytes -= size;
        continue;
      }
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      list.push(buffer);
      touched.add(list);
      this.pooledBytes += size;
    }
    this.parked = [];
    const age = (b: GPUBuffer) => this.order.get(b) ?? -1;
    for (const list of touched) list.sort((a, b) => age(b) - age(a));
  }

  /** Destroy every pooled buffer (on memory pressure or dispose). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.deviceBytes -= buffer.size;
        buffer.destroy();
      }
    }
    this.free.clear();
    this.pooledBytes = 0;
  }
}

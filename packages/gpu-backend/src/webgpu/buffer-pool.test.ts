import { describe, expect, it } from 'vitest';
import { BufferPool, bucketBytes, cappedBucketBytes } from './buffer-pool.js';

describe('buffer buckets', () => {
  it('round to 256 bytes up to 4 KiB, then to quarter steps between powers of two', () => {
    expect(bucketBytes(1)).toBe(256);
    expect(bucketBytes(4097)).toBe(5120);
    expect(bucketBytes(3 * 2 ** 30 + 1)).toBe(3.5 * 2 ** 30);
  });

  it('never round a request that fits under the binding limit over it', () => {
    const cap = 2 ** 31 - 4; // a common maxStorageBufferBindingSize
    const bytes = 1.9 * 2 ** 30; // its bucket, 2 GiB, is over the limit
    expect(bucketBytes(bytes)).toBeGreaterThan(cap);
    expect(cappedBucketBytes(bytes, cap)).toBe(cap);
    expect(cappedBucketBytes(cap, cap)).toBe(cap);
    // Under the cap the buckets are unchanged; over it a request keeps its own (word-rounded) size.
    expect(cappedBucketBytes(4097, cap)).toBe(5120);
    expect(cappedBucketBytes(cap + 2, cap)).toBe(cap + 4);
  });

  it('the pool creates buffers of the capped bucket', () => {
    const sizes: number[] = [];
    const device = {
      createBuffer: ({ size }: { size: number }) => {
        sizes.push(size);
        return { size, destroy: () => undefined } as unknown as GPUBuffer;
      },
    } as unknown as GPUDevice;
    const pool = new BufferPool(device, 2 ** 30, 2 ** 20);
    pool.acquire(1000);
    pool.acquire(0.9 * 2 ** 20);
    expect(sizes).toEqual([1024, 2 ** 20]);
  });

  it('hands out the oldest free buffer of a bucket, whatever order they were released in', () => {
    let made = 0;
    const device = {
      createBuffer: ({ size }: { size: number }) =>
        ({ size, id: made++, destroy: () => undefined }) as unknown as GPUBuffer,
    } as unknown as GPUDevice;
    const pool = new BufferPool(device, 2 ** 30);
    const id = (b: GPUBuffer) => (b as unknown as { id: number }).id;
    const first = [0, 1, 2, 3].map(() => pool.acquire(256).buffer);
    expect(first.map(id)).toEqual([0, 1, 2, 3]);
    // Released out of order; nothing is reusable before the submission.
    for (const i of [2, 0, 3, 1]) pool.release(first[i]!);
    expect(id(pool.acquire(256).buffer)).toBe(4);
    pool.recycle();
    // The same requests again get the same buffers, in the same order.
    const again = [0, 1, 2, 3].map(() => pool.acquire(256));
    expect(again.map((a) => id(a.buffer))).toEqual([0, 1, 2, 3]);
    expect(again.every((a) => !a.fresh)).toBe(true);
  });
});

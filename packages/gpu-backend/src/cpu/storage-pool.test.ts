import { describe, expect, it } from 'vitest';
import { CpuBackend } from './backend.js';
import { StoragePool } from './storage-pool.js';

describe('storage pool', () => {
  it('reuses a released array of the same dtype and size, zeroed', () => {
    const pool = new StoragePool(1 << 20);
    const a = pool.take(2048, 'float32') as Float32Array;
    a.fill(7);
    pool.give(a, 'float32');
    expect(pool.bytes).toBe(8192);
    expect(pool.take(2048, 'int32')).not.toBe(a); // another dtype: a fresh array
    const again = pool.take(2048, 'float32');
    expect(again).toBe(a);
    expect(again.every((x) => x === 0)).toBe(true);
    expect(pool.bytes).toBe(0);
  });

  it('serves a shorter request from the smallest free array at most twice as long, as a view, and takes it back whole', () => {
    const pool = new StoragePool(1 << 22);
    const long = pool.take(4000, 'float32') as Float32Array;
    const longer = pool.take(8000, 'float32') as Float32Array;
    long.fill(7);
    pool.give(longer, 'float32');
    pool.give(long, 'float32');
    expect(pool.bytes).toBe((4000 + 8000) * 4);
    // 2000 fits the 4000 (the smallest that is long enough, exactly twice), zeroed over its own length.
    const view = pool.take(2000, 'float32') as Float32Array;
    expect(view.length).toBe(2000);
    expect(view.buffer).toBe(long.buffer);
    expect(view.every((x) => x === 0)).toBe(true);
    expect(pool.bytes).toBe(8000 * 4);
    // 3999 would leave more than half of the 8000 unused: a fresh array.
    const fresh = pool.take(3999, 'float32');
    expect(fresh.buffer).not.toBe(longer.buffer);
    // Released, the view returns its whole array, which serves its own length again.
    pool.give(view, 'float32');
    expect(pool.bytes).toBe((4000 + 8000) * 4);
    expect(pool.take(4000, 'float32')).toBe(long);
    expect(pool.take(4001, 'float32').buffer).toBe(longer.buffer);
    expect(pool.bytes).toBe(0);
  });

  it('hands a reused array back as it was left when the caller will overwrite it', () => {
    const pool = new StoragePool(1 << 20);
    const a = pool.take(2048, 'float32') as Float32Array;
    a.fill(7);
    pool.give(a, 'float32');
    const again = pool.take(2048, 'float32', false);
    expect(again).toBe(a);
    expect(again.every((x) => x === 7)).toBe(true);
  });

  it("fills the cpu backend's unzeroed outputs with NaN in this repository's tests", () => {
    // vitest.shared.ts sets it: without it a kernel that skips part of its output would read stale values unseen.
    expect(process.env.MOLRL_POISON_OUTPUTS).toBe('1');
    const cpu = new CpuBackend();
    const fresh = cpu.alloc(4096, 'float32', { zeroed: false });
    expect((fresh.data as Float32Array).every((x) => Number.isNaN(x))).toBe(true);
    cpu.release(fresh);
    const reused = cpu.alloc(4096, 'float32', { zeroed: false });
    expect((reused.data as Float32Array).every((x) => Number.isNaN(x))).toBe(true);
    // The default stays zeroed.
    expect((cpu.alloc(4096, 'float32').data as Float32Array).every((x) => x === 0)).toBe(true);
  });

  it('keeps at most maxBytes and leaves small arrays alone', () => {
    const pool = new StoragePool(10000);
    const first = new Float32Array(2048); // 8192 bytes
    const second = new Float32Array(2048);
    pool.give(first, 'float32');
    pool.give(second, 'float32'); // no room for both: the first, released longer ago, goes
    pool.give(new Float32Array(100), 'float32'); // small: dropped
    pool.give(new Float32Array(4096), 'float32'); // larger than the whole pool: dropped, nothing evicted for it
    expect(pool.bytes).toBe(8192);
    expect(pool.take(2048, 'float32')).toBe(second);
    expect(() => new StoragePool(-1)).toThrow(/maxBytes must be a non-negative number/);
  });

  it('makes room in a full pool by dropping the free arrays released longest ago, whatever their dtype', () => {
    // An earlier phase's arrays, more than twice as long as what follows, fill the pool.
    const pool = new StoragePool(5 * 8400);
    const stale = Array.from({ length: 5 }, () => new Float32Array(2100));
    for (const a of stale) pool.give(a, 'float32');
    expect(pool.bytes).toBe(5 * 8400);
    // Requests of 1024 floats: no free array fits within the slack, so fresh ones are made...
    const fresh = Array.from({ length: 4 }, () => pool.take(1024, 'float32'));
    expect(fresh.some((a) => stale.some((old) => old.buffer === a.buffer))).toBe(false);
    // ...and released, they take the place of the stale arrays, the oldest first.
    const ints = new Int32Array(1024);
    pool.give(ints, 'int32');
    pool.give(fresh[0]!, 'float32');
    expect(pool.bytes).toBe(4 * 8400 + 2 * 4096); // stale[0] dropped to make room
    for (const a of fresh.slice(1)) pool.give(a, 'float32');
    expect(pool.bytes).toBe(2 * 8400 + 5 * 4096); // stale[1] and stale[2] dropped too
    // The pool now serves the work at hand: every request of 1024 from a released array.
    const again = Array.from({ length: 4 }, () => pool.take(1024, 'float32'));
    // (identity, not contents: every zeroed array of a length looks alike)
    expect(again.every((a) => fresh.some((f) => f === a)) && new Set(again).size === 4).toBe(true);
    expect(pool.take(1024, 'int32')).toBe(ints);
    const kept = [pool.take(2100, 'float32'), pool.take(2100, 'float32')];
    expect(kept.every((a) => stale.slice(3).some((old) => old === a)) && kept[0] !== kept[1]).toBe(true);
    expect(pool.bytes).toBe(0);
  });

  it('lets the cpu backend reuse released storages, never adopted arrays, and reports pooled bytes', () => {
    const cpu = new CpuBackend();
    const s = cpu.alloc(4096, 'float32');
    const data = cpu.dataOf(s) as Float32Array;
    data.fill(3);
    cpu.release(s);
    expect(cpu.memory().pooledBytes).toBe(16384);
    expect(cpu.memory().freshBytes).toBe(16384);
    const t = cpu.alloc(4096, 'float32');
    expect(cpu.dataOf(t)).toBe(data);
    expect(cpu.memory().freshBytes).toBe(16384); // reused: nothing new
    expect((cpu.dataOf(t) as Float32Array).every((x) => x === 0)).toBe(true);
    // An adopted array may still be referenced by its owner: released, it is not reused.
    const mine = new Float32Array(4096);
    cpu.release(cpu.adopt(mine, 'float32'));
    expect(cpu.memory().pooledBytes).toBe(0);
    expect(cpu.dataOf(cpu.alloc(4096, 'float32'))).not.toBe(mine);
    const off = new CpuBackend({ poolBytes: 0 });
    off.release(off.alloc(4096, 'float32'));
    expect(off.memory().pooledBytes).toBe(0);
    expect(() => new CpuBackend({ poolBytes: -5 })).toThrow(/options.poolBytes must be a number >= 0/);
  });

  it("takes the backend's poolSlack: 0 reuses only exact lengths, the default up to twice", () => {
    const exact = new CpuBackend({ poolSlack: 0 });
    const a = exact.alloc(4096, 'float32');
    const kept = exact.dataOf(a);
    exact.release(a);
    expect(exact.dataOf(exact.alloc(4000, 'float32'))).not.toBe(kept);
    expect(exact.dataOf(exact.alloc(4096, 'float32'))).toBe(kept);
    const loose = new CpuBackend();
    const b = loose.alloc(4096, 'float32');
    const whole = loose.dataOf(b);
    loose.release(b);
    expect(loose.dataOf(loose.alloc(2048, 'float32')).buffer).toBe(whole.buffer);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '1'])
      expect(() => new CpuBackend({ poolSlack: bad as number })).toThrow(
        `cpu backend: options.poolSlack must be a finite number >= 0, got ${String(bad)}`,
      );
    expect(() => new StoragePool(1, -0.5)).toThrow('storage pool: maxSlack must be a non-negative number, got -0.5');
  });
});

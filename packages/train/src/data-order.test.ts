import { describe, expect, it } from 'vitest';
import { seededPermutation } from '@molrl/seeded-random';
import { DataOrder, epochOrder } from './data-order.js';

describe('epochOrder', () => {
  it('is a seeded permutation per (seed, epoch), the MoL trainer order of earlier versions', () => {
    expect(epochOrder(8, 42, 0)).toEqual(
      seededPermutation(8, (Math.imul(42, 0x9e3779b1) ^ Math.imul(1, 0x85ebca6b)) >>> 0),
    );
    expect(epochOrder(8, 42, 1)).not.toEqual(epochOrder(8, 42, 0));
    expect(epochOrder(8, 43, 0)).not.toEqual(epochOrder(8, 42, 0));
    expect([...epochOrder(8, 42, 3)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('DataOrder', () => {
  it('takes within an epoch (the last take smaller), then starts the next', () => {
    const d = new DataOrder(10, 7);
    const e0 = epochOrder(10, 7, 0);
    const e1 = epochOrder(10, 7, 1);
    expect(d.take(4)).toEqual(e0.slice(0, 4));
    expect(d.take(4)).toEqual(e0.slice(4, 8));
    expect(d.take(4)).toEqual(e0.slice(8, 10));
    expect([d.epoch, d.offset, d.examplesSeen]).toEqual([0, 10, 10]);
    expect(d.take(4)).toEqual(e1.slice(0, 4));
    expect([d.epoch, d.offset, d.examplesSeen]).toEqual([1, 4, 14]);
  });

  it('runs on across epochs when asked', () => {
    const d = new DataOrder(5, 3);
    const stream = [...epochOrder(5, 3, 0), ...epochOrder(5, 3, 1), ...epochOrder(5, 3, 2)];
    expect(d.take(3, { crossEpochs: true })).toEqual(stream.slice(0, 3));
    expect(d.take(9, { crossEpochs: true })).toEqual(stream.slice(3, 12));
    expect(d.examplesSeen).toBe(12);
  });

  it('seek restores a position: the same examples follow', () => {
    const a = new DataOrder(6, 1);
    a.take(4);
    a.take(4);
    const b = new DataOrder(6, 1);
    b.seek(a.examplesSeen);
    expect([b.epoch, b.offset]).toEqual([a.epoch, a.offset]);
    expect(b.take(4)).toEqual(a.take(4));
    expect(() => b.seek(-1)).toThrow('DataOrder: examplesSeen must be an integer >= 0, got -1');
    expect(() => new DataOrder(0, 1)).toThrow('DataOrder: size must be a positive integer, got 0');
    expect(() => b.take(0)).toThrow('DataOrder: count must be a positive integer, got 0');
  });
});

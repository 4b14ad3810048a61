import { describe, expect, it } from 'vitest';
import { Mulberry32, mulberry32, seededPermutation } from './index.js';

describe('mulberry32', () => {
  it('gives the reference stream and stays in [0, 1)', () => {
    const r = mulberry32(1);
    // First outputs with seed 1 of the generator's reference C code (uint32 arithmetic), compiled and run.
    const firsts = [r(), r(), r()].map((x) => Math.round(x * 4294967296));
    expect(firsts).toEqual([2693262067, 11749833, 2265367787]);
    const s = mulberry32(0xdeadbeef);
    for (let i = 0; i < 1000; i++) {
      const x = s();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('the class draws what the copies it replaced drew (data order and splits depend on it)', () => {
    // Values of the generators this package replaced, recorded before they were removed.
    const m = mulberry32(12345);
    expect([m(), m()]).toEqual([0.9797282677609473, 0.3067522644996643]);
    const r = new Mulberry32((7 ^ 0x9e3779b9) >>> 0);
    expect([
      r.int(1, 100),
      r.pick(['a', 'b', 'c', 'd']),
      r.chance(0.5),
      r.shuffle([1, 2, 3, 4, 5, 6]),
      r.next(),
    ]).toEqual([99, 'b', false, [5, 4, 3, 6, 2, 1], 0.28976773261092603]);
  });
});

describe('seededPermutation', () => {
  it('is a reproducible permutation that depends on the seed', () => {
    const a = seededPermutation(50, 7);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(seededPermutation(50, 7)).toEqual(a);
    expect(seededPermutation(50, 8)).not.toEqual(a);
    expect(seededPermutation(10, 42)).toEqual([0, 7, 3, 5, 2, 1, 8, 9, 4, 6]);
    expect(seededPermutation(0, 1)).toEqual([]);
    expect(() => seededPermutation(-1, 1)).toThrow('seededPermutation: n must be an integer >= 0, got -1');
  });
});

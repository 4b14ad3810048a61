import { describe, expect, it } from 'vitest';
import { mulberry32, seededPermutation } from './host-random.js';

describe('host random', () => {
  it('mulberry32 gives the reference stream and stays in [0, 1)', () => {
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

  it('seededPermutation is a reproducible permutation that depends on the seed', () => {
    const a = seededPermutation(50, 7);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(seededPermutation(50, 7)).toEqual(a);
    expect(seededPermutation(50, 8)).not.toEqual(a);
    expect(seededPermutation(0, 1)).toEqual([]);
    expect(() => seededPermutation(-1, 1)).toThrow('seededPermutation: n must be an integer >= 0, got -1');
  });
});

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

describe('bad input', () => {
  it('refuses a seed that is not an integer instead of folding it onto another seed', () => {
    // `seed >>> 0` made 1.5 draw seed 1's stream, and NaN, Infinity and 0 one stream.
    expect(() => mulberry32(1.5)).toThrow('mulberry32: seed must be an integer, got 1.5');
    expect(() => mulberry32(Number.NaN)).toThrow('mulberry32: seed must be an integer, got NaN');
    expect(() => new Mulberry32(Number.POSITIVE_INFINITY)).toThrow('Mulberry32: seed must be an integer, got Infinity');
    expect(() => mulberry32('7' as never)).toThrow('mulberry32: seed must be an integer, got string "7"');
    expect(() => mulberry32(undefined as never)).toThrow(
      'mulberry32: seed must be an integer, got undefined undefined',
    );
    expect(() => seededPermutation(3, 0.5)).toThrow('seededPermutation: seed must be an integer, got 0.5');
    expect(() => seededPermutation('3' as never, 1)).toThrow('seededPermutation: n must be an integer >= 0, got "3"');
    // Any integer is a seed, taken modulo 2^32 as documented.
    expect(mulberry32(-1)()).toBe(mulberry32(0xffffffff)());
    expect(mulberry32(2 ** 32 + 5)()).toBe(mulberry32(5)());
  });

  it('refuses draws that cannot be made instead of returning garbage', () => {
    const r = new Mulberry32(3);
    expect(() => r.int(5, 2)).toThrow('Mulberry32.int: lo and hi must be integers with lo <= hi, got lo 5, hi 2');
    expect(() => r.int(0, 1.5)).toThrow('got lo 0, hi 1.5');
    expect(() => r.int(0, Number.NaN)).toThrow('got lo 0, hi NaN');
    expect(() => r.pick([])).toThrow('Mulberry32.pick: items must be a non-empty array, got an empty array');
    expect(() => r.pick(undefined as never)).toThrow('Mulberry32.pick: items must be a non-empty array, got undefined');
    expect(() => r.chance(Number.NaN)).toThrow('Mulberry32.chance: p must be a probability in [0, 1], got NaN');
    expect(() => r.chance(1.5)).toThrow('got 1.5');
    expect(() => r.chance('0.5' as never)).toThrow('got "0.5"');
    expect(() => r.shuffle(new Set([1, 2]) as never)).toThrow('Mulberry32.shuffle: items must be an array');
    // The edges still draw.
    expect(r.int(4, 4)).toBe(4);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
    expect(r.pick(['only'])).toBe('only');
    expect(r.shuffle([])).toEqual([]);
  });
});

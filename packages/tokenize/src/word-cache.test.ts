import { describe, expect, it } from 'vitest';
import { WordCache } from './word-cache.js';

describe('WordCache', () => {
  it('keeps the last two generations, promoting a hit in the older one', () => {
    const cache = new WordCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3); // a and b become the old generation
    expect(cache.get('a')).toBe(1); // promoted into the young one (now c, a)
    cache.set('d', 4); // c and a become old, b is dropped
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([undefined, 3, 4]);
  });

  it('neither keeps nor looks up words of maxKeyLength units or more, as the reference skips long words', () => {
    const cache = new WordCache<number>(10, 4);
    cache.set('abc', 1);
    cache.set('abcd', 2);
    expect([cache.get('abc'), cache.get('abcd')]).toEqual([1, undefined]);
    const none = new WordCache<number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBe(undefined);
  });
});

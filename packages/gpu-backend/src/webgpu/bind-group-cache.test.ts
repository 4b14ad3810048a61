import { describe, expect, it } from 'vitest';
import { BindGroupCache } from './bind-group-cache.js';

const buffer = (name: string) => ({ name }) as unknown as GPUBuffer;
const group = (name: string) => ({ name }) as unknown as GPUBindGroup;

describe('BindGroupCache', () => {
  it('reuses the group of the same pipeline and uniform slot over the same buffers, and only that', () => {
    const cache = new BindGroupCache();
    const [a, b, c] = [buffer('a'), buffer('b'), buffer('c')];
    let made = 0;
    const make = () => group(`g${made++}`);
    const g = cache.get(1, 0, [a, b], make);
    expect(cache.get(1, 0, [a, b], make)).toBe(g);
    expect(cache.get(1, 0, [b, a], make)).not.toBe(g); // binding order matters
    expect(cache.get(2, 0, [a, b], make)).not.toBe(g); // another pipeline
    expect(cache.get(1, 1, [a, b], make)).not.toBe(g); // another uniform slot
    expect(cache.get(1, 0, [a, c], make)).not.toBe(g);
    expect([cache.hits, cache.misses, made]).toEqual([1, 5, 5]);
  });

  it('drops the least recently used group past its capacity', () => {
    const cache = new BindGroupCache(2);
    const [a, b, c] = [buffer('a'), buffer('b'), buffer('c')];
    let made = 0;
    const make = () => group(`g${made++}`);
    const ga = cache.get(0, -1, [a], make);
    cache.get(0, -1, [b], make);
    expect(cache.get(0, -1, [a], make)).toBe(ga); // a is now the most recent
    cache.get(0, -1, [c], make); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.get(0, -1, [a], make)).toBe(ga);
    const before = made;
    cache.get(0, -1, [b], make);
    expect(made).toBe(before + 1);
  });
});

import { describe, expect, it } from 'vitest';
import { meanPassAtK, passAtK } from './pass-at-k.js';

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

describe('passAtK', () => {
  it('matches 1 - C(n-c,k)/C(n,k) everywhere on small n', () => {
    for (let n = 1; n <= 12; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) {
          const expected = n - c < k ? 1 : 1 - binom(n - c, k) / binom(n, k);
          expect(passAtK(n, c, k)).toBeCloseTo(expected, 12);
        }
      }
    }
  });
  it('pass@1 is the fraction correct', () => {
    expect(passAtK(3, 2, 1)).toBeCloseTo(2 / 3, 15);
    expect(
      meanPassAtK(
        [
          { n: 3, c: 0 },
          { n: 3, c: 3 },
          { n: 3, c: 1 },
        ],
        1,
      ),
    ).toBeCloseTo(4 / 9, 15);
  });
  it('stays finite for large n', () => {
    const v = passAtK(1000, 3, 100);
    expect(v).toBeGreaterThan(0.27);
    expect(v).toBeLessThan(0.28);
  });
  it('rejects impossible inputs', () => {
    expect(() => passAtK(3, 4, 1)).toThrow(/0 <= c <= n/);
    expect(() => passAtK(3, 1, 4)).toThrow(/k=4 is more than the n=3/);
  });
});

describe('argument checks', () => {
  it('names a value that is not an integer, with its type', () => {
    expect(() => passAtK('3' as unknown as number, 1, 1)).toThrow(/got n="3" \(string\) c=1 k=1/);
  });
  it('refuses to average no samples (0 / 0 is not a score)', () => {
    expect(() => meanPassAtK([], 1)).toThrow(/meanPassAtK: no samples to average/);
  });
});

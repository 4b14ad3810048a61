import { describe, expect, it } from 'vitest';
import { expf } from './expf.js';

describe('expf', () => {
  it('is within one float32 ulp of Math.exp over the float32 range', () => {
    let worstUlps = 0;
    for (let x = -104; x < 88.8; x += 0.000731) {
      const expected = Math.fround(Math.exp(x));
      const actual = Math.fround(expf(x));
      if (expected === actual) continue;
      const ulp = Math.fround(expected * (1 + 2 ** -23)) - expected || 2 ** -149;
      worstUlps = Math.max(worstUlps, Math.abs(actual - expected) / ulp);
    }
    expect(worstUlps).toBeLessThanOrEqual(1);
  });

  it('handles the special values', () => {
    expect(expf(0)).toBe(1);
    expect(expf(-Infinity)).toBe(0);
    expect(expf(Infinity)).toBe(Infinity);
    expect(Number.isNaN(expf(NaN))).toBe(true);
    expect(Math.fround(expf(89))).toBe(Infinity);
    expect(Math.fround(expf(88.7))).toBe(Math.fround(Math.exp(88.7)));
    expect(expf(-105)).toBe(0);
    expect(Math.fround(expf(-103.5))).toBe(Math.fround(Math.exp(-103.5))); // smallest subnormal
    expect(Math.fround(expf(-90))).toBe(Math.fround(Math.exp(-90)));
  });
});

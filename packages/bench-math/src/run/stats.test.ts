import { describe, expect, it } from 'vitest';
import { bootstrapMean, normalQuantile, pairedBootstrapDifference, quantile, wilsonInterval } from './stats.js';

// Reference values from Python: statistics.NormalDist().inv_cdf, the Wilson closed form, numpy.quantile.
describe('normalQuantile', () => {
  it('matches the standard normal inverse CDF', () => {
    const cases: Array<[number, number]> = [
      [0.975, 1.959963984540054],
      [0.95, 1.6448536269514715],
      [0.995, 2.5758293035489],
      [0.001, -3.090232306167813],
      [0.5, 0],
    ];
    for (const [p, z] of cases) expect(normalQuantile(p)).toBeCloseTo(z, 8);
  });
  it('names a probability outside (0, 1)', () => {
    expect(() => normalQuantile(1)).toThrow(/p must be in \(0, 1\), got 1/);
  });
});

describe('wilsonInterval', () => {
  it('gives the Wilson score interval, clipped to [0, 1]', () => {
    const cases: Array<[number, number, number, number]> = [
      [8, 20, 0.21880653237281705, 0.6134184992377469],
      [0, 40, 0, 0.08762160119728664],
      [40, 40, 0.9123783988027135, 1],
      [75, 200, 0.31085436858409826, 0.44385696301021843],
    ];
    for (const [k, n, low, high] of cases) {
      const r = wilsonInterval(k, n);
      expect(r.estimate).toBe(k / n);
      expect(r.low).toBeCloseTo(low, 9);
      expect(r.high).toBeCloseTo(high, 9);
    }
  });
  it('names bad arguments', () => {
    expect(() => wilsonInterval(3, 0)).toThrow(/trials must be an integer >= 1, got 0/);
    expect(() => wilsonInterval(5, 4)).toThrow(/successes must be an integer in \[0, trials=4\], got 5/);
    expect(() => wilsonInterval(1, 4, 1.5)).toThrow(/confidence must be in \(0, 1\), got 1.5/);
  });
});

describe('quantile', () => {
  it('interpolates linearly as numpy.quantile does', () => {
    expect(quantile([1, 2, 3, 4], 0.3)).toBeCloseTo(1.9, 12);
    expect(quantile([1, 2, 3, 4], 0.975)).toBeCloseTo(3.925, 12);
    expect(quantile([5], 0.5)).toBe(5);
  });
});

/** A seeded stream for test data (not the one the module resamples with). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('bootstrapMean', () => {
  it('is reproducible, centred on the mean, and as wide as the normal theory says for a large sample', () => {
    const next = lcg(1);
    const units = Array.from({ length: 400 }, () => [next() < 0.3 ? 1 : 0]);
    const a = bootstrapMean(units);
    expect(bootstrapMean(units)).toEqual(a);
    const p = units.filter((u) => u[0] === 1).length / units.length;
    expect(a.estimate).toBeCloseTo(p, 12);
    const half = 1.959964 * Math.sqrt((p * (1 - p)) / units.length);
    expect((a.high - a.low) / 2).toBeGreaterThan(0.9 * half);
    expect((a.high - a.low) / 2).toBeLessThan(1.1 * half);
    expect(a.low).toBeLessThan(p);
    expect(a.high).toBeGreaterThan(p);
    // Another resampling seed moves the bounds a little (continuous values: no ties), not the estimate.
    const continuous = units.map(() => [next()]);
    const c = bootstrapMean(continuous);
    const d = bootstrapMean(continuous, { seed: 7 });
    expect(d.estimate).toBe(c.estimate);
    expect(d.low).not.toBe(c.low);
    expect(Math.abs(d.low - c.low)).toBeLessThan(0.01);
  });
  it('averages each unit over its seeds first', () => {
    const r = bootstrapMean(
      [
        [1, 0, 0],
        [1, 1, 1],
      ],
      { resamples: 200 },
    );
    expect(r.estimate).toBeCloseTo((1 / 3 + 1) / 2, 12);
  });
  it('names empty units and values that are not numbers', () => {
    expect(() => bootstrapMean([])).toThrow(/units has no units/);
    expect(() => bootstrapMean([[1], []])).toThrow(/units\[1\] has no values/);
    expect(() => bootstrapMean([[1], [Number.NaN]])).toThrow(/units\[1\] holds NaN/);
    expect(() => bootstrapMean([[1]], { resamples: 5 })).toThrow(/resamples must be an integer >= 100, got 5/);
  });
});

describe('pairedBootstrapDifference', () => {
  it('gives a degenerate interval for a constant shift, and no resolved difference for equal variants', () => {
    const a = Array.from({ length: 50 }, (_, i) => [i / 50, (i + 1) / 50]);
    const shifted = a.map((u) => u.map((v) => v - 0.1));
    const d = pairedBootstrapDifference(a, shifted, { resamples: 500 });
    expect(d.estimate).toBeCloseTo(0.1, 12);
    expect(d.low).toBeCloseTo(0.1, 12);
    expect(d.high).toBeCloseTo(0.1, 12);
    expect(d).toMatchObject({ resolved: true, direction: 'higher', units: 50 });
    const same = pairedBootstrapDifference(a, a, { resamples: 500 });
    expect(same).toMatchObject({ estimate: 0, low: 0, high: 0, resolved: false, direction: 'unresolved' });
    expect(pairedBootstrapDifference(shifted, a, { resamples: 500 }).direction).toBe('lower');
  });

  it('resolves a small paired gain that two separate intervals cannot (task difficulty cancels)', () => {
    const next = lcg(3);
    // 200 tasks x 3 seeds; tasks are easy or hard; the variant fixes 8% of the tasks the base fails.
    const base = Array.from({ length: 200 }, () => {
      const p = next() < 0.4 ? 0.9 : 0.1;
      return [0, 1, 2].map(() => (next() < p ? 1 : 0));
    });
    const better = base.map((u, i) => (i % 12 === 0 ? u.map(() => 1) : u));
    const gain = pairedBootstrapDifference(better, base);
    expect(gain.resolved).toBe(true);
    expect(gain.direction).toBe('higher');
    const a = bootstrapMean(better);
    const b = bootstrapMean(base);
    expect(a.low).toBeLessThan(b.high); // the separate intervals overlap
    expect(gain.estimate).toBeCloseTo(a.estimate - b.estimate, 12);
  });

  it('names units and seeds that do not pair up', () => {
    expect(() => pairedBootstrapDifference([[1], [0]], [[1]])).toThrow(/same units, got 2 and 1/);
    expect(() => pairedBootstrapDifference([[1, 0]], [[1]])).toThrow(/unit 0 has 2 values in a and 1 in b/);
  });
});

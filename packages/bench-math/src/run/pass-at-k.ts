/**
 * The unbiased pass@k estimator of Chen et al. (2021): with n samples of which
 * c are correct, 1 - C(n-c, k) / C(n, k), computed as a product to stay stable.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1) {
    const show = (v: unknown) => (typeof v === 'number' ? String(v) : `${JSON.stringify(v)} (${typeof v})`);
    throw new RangeError(
      `passAtK: need integers n >= 1, 0 <= c <= n, k >= 1; got n=${show(n)} c=${show(c)} k=${show(k)}`,
    );
  }
  if (k > n) throw new RangeError(`passAtK: k=${k} is more than the n=${n} samples`);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** Mean of passAtK over problems, each with its own (n, c). */
export function meanPassAtK(samples: ReadonlyArray<{ n: number; c: number }>, k: number): number {
  if (!Array.isArray(samples)) throw new TypeError(`meanPassAtK: samples must be an array of { n, c }`);
  // A mean over no items is 0 / 0, not a score.
  if (samples.length === 0) throw new RangeError('meanPassAtK: no samples to average');
  return samples.reduce((s, x) => s + passAtK(x.n, x.c, k), 0) / samples.length;
}

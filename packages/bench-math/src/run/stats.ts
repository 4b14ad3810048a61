/**
 * Intervals for evaluation results, so a table can say which differences it
 * resolves:
 *
 *  - `wilsonInterval`: the Wilson score interval of a proportion (pass@1 of
 *    one run: k correct of n tasks), closed form;
 *  - `bootstrapMean`: the mean over units (tasks) of per-unit values (one per
 *    seed, say), with a percentile bootstrap interval that resamples units;
 *  - `pairedBootstrapDifference`: the mean difference between two variants
 *    measured on the same units and seeds. Each resample draws tasks with
 *    replacement and keeps, for a drawn task, both variants' values of every
 *    seed, so the task's difficulty cancels in the difference (the pairing).
 *
 * Resampling uses a seeded generator (a fixed default seed), so a report
 * comes out the same every time it is written.
 */
import { mulberry32 } from '@molrl/seeded-random';

export interface Interval {
  /** The point estimate (a mean or a proportion). */
  estimate: number;
  low: number;
  high: number;
  /** Coverage of the interval, e.g. 0.95. */
  confidence: number;
}

export interface PairedDifference extends Interval {
  /** Units (tasks) the difference is over. */
  units: number;
  /** True when the interval excludes 0. */
  resolved: boolean;
  /** 'higher': a > b resolved; 'lower': a < b resolved; 'unresolved' otherwise. */
  direction: 'higher' | 'lower' | 'unresolved';
}

export interface BootstrapOptions {
  /** Bootstrap resamples (default 10000). */
  resamples?: number;
  /** Seed of the resampling (default 20240601): the same data and seed give the same interval. */
  seed?: number;
  /** Coverage (default 0.95). */
  confidence?: number;
}

export const DEFAULT_BOOTSTRAP_SEED = 20240601;

function checkConfidence(confidence: number, where: string): void {
  if (!(typeof confidence === 'number' && confidence > 0 && confidence < 1))
    throw new RangeError(`${where}: confidence must be in (0, 1), got ${String(confidence)}`);
}

/** The standard normal quantile (inverse CDF): Acklam's rational approximation, relative error below 1.2e-9. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${String(p)}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

/** The Wilson score interval of `successes` in `trials`: well behaved at 0 and at `trials`, unlike the normal one. */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): Interval {
  if (!Number.isInteger(trials) || trials < 1)
    throw new RangeError(`wilsonInterval: trials must be an integer >= 1, got ${String(trials)}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > trials)
    throw new RangeError(
      `wilsonInterval: successes must be an integer in [0, trials=${trials}], got ${String(successes)}`,
    );
  checkConfidence(confidence, 'wilsonInterval');
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials))) / (1 + z2n);
  return {
    estimate: p,
    low: Math.max(0, center - half),
    high: Math.min(1, center + half),
    confidence,
  };
}

/** The bootstrap's draws: the project's one generator, its seed mixed so that seed 0 is not the zero state. */
function generator(seed: number): () => number {
  return mulberry32((Math.floor(seed) ^ 0x9e3779b9) >>> 0);
}

/** The q-quantile of sorted values, linearly interpolated (numpy's default, "linear"). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${String(q)}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function unitMeans(units: ReadonlyArray<ReadonlyArray<number>>, where: string, name: string): Float64Array {
  if (!Array.isArray(units) || units.length === 0) throw new RangeError(`${where}: ${name} has no units`);
  return Float64Array.from(units, (u, i) => {
    if (!Array.isArray(u) || u.length === 0) throw new RangeError(`${where}: ${name}[${i}] has no values`);
    let s = 0;
    for (const v of u) {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new RangeError(`${where}: ${name}[${i}] holds ${String(v)}, not a finite number`);
      s += v;
    }
    return s / u.length;
  });
}

function resampleMeans(
  values: Float64Array,
  options: BootstrapOptions,
  where: string,
): { sorted: Float64Array; confidence: number } {
  const resamples = options.resamples ?? 10_000;
  if (!Number.isInteger(resamples) || resamples < 100)
    throw new RangeError(`${where}: resamples must be an integer >= 100, got ${String(options.resamples)}`);
  const confidence = options.confidence ?? 0.95;
  checkConfidence(confidence, where);
  const next = generator(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(next() * n)]!;
    means[r] = s / n;
  }
  means.sort();
  return { sorted: means, confidence };
}

const meanOf = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The mean over units of each unit's mean value (e.g. a task's pass rate over
 * seeds), with a percentile bootstrap interval that resamples units.
 */
export function bootstrapMean(units: ReadonlyArray<ReadonlyArray<number>>, options: BootstrapOptions = {}): Interval {
  const means = unitMeans(units, 'bootstrapMean', 'units');
  const { sorted, confidence } = resampleMeans(means, options, 'bootstrapMean');
  const tail = (1 - confidence) / 2;
  return { estimate: meanOf(means), low: quantile(sorted, tail), high: quantile(sorted, 1 - tail), confidence };
}

/**
 * The mean of a - b over paired units: `a[i][s]` and `b[i][s]` are the two
 * variants' values on unit i under seed s. Units are resampled with
 * replacement, each with all its seeds, for both variants at once.
 */
export function pairedBootstrapDifference(
  a: ReadonlyArray<ReadonlyArray<number>>,
  b: ReadonlyArray<ReadonlyArray<number>>,
  options: BootstrapOptions = {},
): PairedDifference {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length)
    throw new RangeError(
      `pairedBootstrapDifference: a and b must have the same units, got ${Array.isArray(a) ? a.length : typeof a} and ${Array.isArray(b) ? b.length : typeof b}`,
    );
  a.forEach((u, i) => {
    if (!Array.isArray(u) || !Array.isArray(b[i]) || u.length !== b[i]!.length)
      throw new RangeError(
        `pairedBootstrapDifference: unit ${i} has ${Array.isArray(u) ? u.length : 'no'} values in a and ${Array.isArray(b[i]) ? b[i]!.length : 'no'} in b (the seeds must pair up)`,
      );
  });
  const ma = unitMeans(a, 'pairedBootstrapDifference', 'a');
  const mb = unitMeans(b, 'pairedBootstrapDifference', 'b');
  const diffs = ma.map((x, i) => x - mb[i]!);
  const { sorted, confidence } = resampleMeans(diffs, options, 'pairedBootstrapDifference');
  const tail = (1 - confidence) / 2;
  const low = quantile(sorted, tail);
  const high = quantile(sorted, 1 - tail);
  const resolved = low > 0 || high < 0;
  return {
    estimate: meanOf(diffs),
    low,
    high,
    confidence,
    units: diffs.length,
    resolved,
    direction: !resolved ? 'unresolved' : low > 0 ? 'higher' : 'lower',
  };
}

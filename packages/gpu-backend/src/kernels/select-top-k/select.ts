import { fmt, kernelError } from '../../shape.js';

/** The rows of a selectTopK call, its attrs checked against x [..., N]. */
export function selectTopKDims(
  shape: readonly number[],
  attrs: { k: number; capacity: number },
): { rows: number; n: number; outShape: number[]; countShape: number[] } {
  if (shape.length < 1) throw kernelError('selectTopK', `x must have rank >= 1, got ${fmt(shape)}`);
  const n = shape[shape.length - 1];
  const countShape = shape.slice(0, -1);
  const rows = countShape.reduce((a, b) => a * b, 1);
  if (rows > 0 && !(attrs.k >= 1 && attrs.k <= n))
    throw kernelError('selectTopK', `attrs.k must be in [1, ${n}] for rows of ${n} (x ${fmt(shape)}), got ${attrs.k}`);
  if (!(attrs.capacity >= 1)) throw kernelError('selectTopK', `attrs.capacity must be >= 1, got ${attrs.capacity}`);
  return { rows, n, outShape: [...countShape, attrs.capacity], countShape };
}

/**
 * selectTopK of `rows` contiguous rows of `n` (what the cpu and gpujs
 * backends run), each row in one pass that notes, in index order, a superset
 * of the entries at or above the k-th largest value and finds that value:
 *
 * - small k: a size-k min-heap; every index whose value reached the heap's
 *   minimum when it was read is noted. The minimum only grows, so the note
 *   holds every entry at or above the final k-th largest (ties included).
 * - large k (past HEAP_MAX_K, where the heap's replacements, about
 *   k ln(n / k) sifts, cost more than the scan): a threshold from a strided
 *   sample of the row, set so that at least k entries reach it with a wide
 *   margin; the entries at or above it are noted, and the k-th largest is
 *   selected among their values. Where fewer than k reach it, the heap pass
 *   runs instead. Either way the k-th largest is the row's exactly, so both
 *   give the same result.
 *
 * The row's result is the noted entries at or above the k-th largest, in
 * index order, read from the note instead of a second pass over the row. A row
 * holding a NaN gets count -1.
 */
export function selectTopKRows(
  x: Float32Array,
  rows: number,
  n: number,
  k: number,
  capacity: number,
  index: Int32Array,
  value: Float32Array,
  count: Int32Array,
): void {
  const heap = new Float32Array(k);
  const noted = new Int32Array(n);
  const sampled = k > HEAP_MAX_K && n > SAMPLE_SIZE ? new ThresholdScratch() : null;
  index.fill(-1);
  value.fill(0);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let found = sampled ? scanRowAboveSample(x, base, n, k, sampled, noted) : 0;
    let kth = sampled?.kth ?? 0;
    if (found === 0) {
      found = scanRow(x, base, n, k, heap, noted);
      kth = heap[0]!;
    }
    if (found < 0) {
      count[r] = -1;
      continue;
    }
    let kept = 0;
    const out = r * capacity;
    for (let i = 0; i < found; i++) {
      const j = noted[i]!;
      const v = x[base + j]!;
      if (v >= kth) {
        if (kept < capacity) {
          index[out + kept] = j;
          value[out + kept] = v;
        }
        kept++;
      }
    }
    count[r] = kept;
  }
}

/**
 * One pass over x[base, base + n) (k <= n): heap[0] ends as the k-th largest, and
 * noted[0, returned) holds, in order, the indices whose value was at least the heap's
 * minimum when read (the first k among them). -1 when the row holds a NaN. Past the first
 * k, almost every value falls below the minimum, kept in a local: one compare, which lets
 * a NaN through to its own check.
 */
function scanRow(x: Float32Array, base: number, n: number, k: number, heap: Float32Array, noted: Int32Array): number {
  for (let i = 0; i < k; i++) {
    const v = x[base + i]!;
    if (v !== v) return -1;
    noted[i] = i;
    // sift up
    let c = i;
    heap[c] = v;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (heap[p]! <= heap[c]!) break;
      const t = heap[p]!;
      heap[p] = heap[c]!;
      heap[c] = t;
      c = p;
    }
  }
  let found = k;
  let min = heap[0]!;
  for (let j = k; j < n; j++) {
    const v = x[base + j]!;
    if (v < min) continue;
    if (v !== v) return -1;
    noted[found++] = j;
    if (v === min) continue;
    // v replaces the minimum: sift it down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) break;
      const rt = l + 1;
      const m = rt < k && heap[rt]! < heap[l]! ? rt : l;
      if (heap[m]! >= v) break;
      heap[i] = heap[m]!;
      i = m;
    }
    heap[i] = v;
    min = heap[0]!;
  }
  return found;
}

/**
 * Past this k the sampled threshold finds the k-th largest. Measured for 16 rows against the heap:
 * 151,936 entries, k 300 1.7x and k 3,000 3x faster; 1,845 entries, about even at k 65, 1.2x at k 120.
 */
export const HEAP_MAX_K = 64;

/** Entries of a row the threshold is read from (strided: a row's order carries no meaning). */
const SAMPLE_SIZE = 1024;

/** The sample and the noted values of one call's rows, and the last row's k-th largest. */
class ThresholdScratch {
  readonly sample = new Float32Array(SAMPLE_SIZE);
  values = new Float32Array(0);
  kth = 0;
}

/**
 * The entries of x[base, base + n) at or above a threshold read from a strided
 * sample, noted in order; scratch.kth their k-th largest. The threshold is the
 * sample's value at the rank k of n stands for there, lowered by four standard
 * deviations of that rank and a few places more: at least k entries reach it
 * in any row whose sample is not far off the row. Returns how many were noted,
 * -1 for a row holding a NaN, or 0 where fewer than k reached the threshold
 * (the caller then runs the heap pass).
 */
function scanRowAboveSample(
  x: Float32Array,
  base: number,
  n: number,
  k: number,
  scratch: ThresholdScratch,
  noted: Int32Array,
): number {
  const sample = scratch.sample;
  const m = sample.length;
  const stride = n / m;
  for (let i = 0; i < m; i++) {
    const v = x[base + Math.floor(i * stride)]!;
    if (v !== v) return 0; // a NaN: the heap pass reports the row
    sample[i] = v;
  }
  const expected = (k * m) / n;
  const rank = Math.min(m - 1, Math.floor(expected + 4 * Math.sqrt(expected) + 8));
  const threshold = selectAscending(sample, m, m - 1 - rank);
  let found = 0;
  for (let j = 0; j < n; j++) {
    const v = x[base + j]!;
    if (v < threshold) continue;
    if (v !== v) return -1;
    noted[found++] = j;
  }
  if (found < k) return 0;
  if (scratch.values.length < found) scratch.values = new Float32Array(Math.max(found, 2 * scratch.values.length));
  const values = scratch.values;
  for (let i = 0; i < found; i++) values[i] = x[base + noted[i]!]!;
  scratch.kth = selectAscending(values, found, found - k);
  return found;
}

/**
 * The value at position p of a[0, f) in ascending order (a reordered; no NaN in
 * it): quickselect with a median-of-three pivot, sorting what is left after
 * 2 log2 f + 8 rounds (so no input takes quadratic time).
 */
export function selectAscending(a: Float32Array, f: number, p: number): number {
  let lo = 0;
  let hi = f - 1;
  let rounds = 2 * Math.ceil(Math.log2(f + 1)) + 8;
  while (hi > lo) {
    if (rounds-- === 0) {
      a.subarray(lo, hi + 1).sort();
      break;
    }
    const mid = (lo + hi) >> 1;
    // Median of three to a[mid].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // [lo, j] <= pivot <= [i, hi], and everything between equals the pivot.
    if (p <= j) hi = j;
    else if (p >= i) lo = i;
    else return a[p]!;
  }
  return a[p]!;
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

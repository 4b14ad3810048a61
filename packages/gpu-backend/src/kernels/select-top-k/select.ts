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
 * backends run), each row in one pass: a size-k min-heap finds the k-th
 * largest value, and every index whose value reached the heap's minimum when
 * it was read is noted in order. The minimum only grows, so the noted indices
 * include every entry at or above the final k-th largest (ties included); the
 * row's result is those, in index order, read from the note instead of a second
 * pass over the row. A row holding a NaN gets count -1.
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
  index.fill(-1);
  value.fill(0);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const found = scanRow(x, base, n, k, heap, noted);
    if (found < 0) {
      count[r] = -1;
      continue;
    }
    const kth = heap[0]!;
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

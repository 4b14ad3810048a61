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
 * backends run): the k-th largest value of a row with a size-k min-heap, then
 * one pass keeping the entries at or above it in index order.
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
  index.fill(-1);
  value.fill(0);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    const kth = kthLargestOfRow(x, base, n, k, heap);
    if (kth !== kth) {
      count[r] = -1;
      continue;
    }
    let kept = 0;
    const out = r * capacity;
    for (let j = 0; j < n; j++) {
      const v = x[base + j];
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

/** The k-th largest of x[base, base + n) (k <= n), or NaN when the row holds a NaN. */
function kthLargestOfRow(x: Float32Array, base: number, n: number, k: number, heap: Float32Array): number {
  let size = 0;
  for (let j = 0; j < n; j++) {
    const v = x[base + j];
    if (v !== v) return NaN;
    if (size < k) {
      // sift up
      let i = size++;
      heap[i] = v;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p] <= heap[i]) break;
        const t = heap[p];
        heap[p] = heap[i];
        heap[i] = t;
        i = p;
      }
    } else if (v > heap[0]) {
      heap[0] = v;
      // sift down
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const rt = l + 1;
        let m = i;
        if (l < size && heap[l] < heap[m]) m = l;
        if (rt < size && heap[rt] < heap[m]) m = rt;
        if (m === i) break;
        const t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
      }
    }
  }
  return heap[0];
}

import { broadcastStrides, sizeOf } from '../shape.js';

/**
 * Walk a broadcast result row by row. Dimensions that every operand walks
 * contiguously are merged first, so a same-shape or scalar-broadcast op is
 * one long row. `row(offsets, outOffset, n, innerStrides)` is called once per
 * innermost row; offsets[i] is operand i's element offset at the row start.
 */
export function forEachBroadcastRow(
  outShape: readonly number[],
  operandShapes: readonly (readonly number[])[],
  row: (offsets: Int32Array | number[], outOffset: number, n: number, innerStrides: number[]) => void,
): void {
  const total = sizeOf(outShape);
  if (total === 0) return;
  const count = operandShapes.length;
  // Collapse: drop size-1 dims, merge a dim into its inner neighbour when every operand is contiguous across them.
  const dims: number[] = [];
  const strides: number[][] = operandShapes.map(() => []);
  const full = operandShapes.map((s) => broadcastStrides(s, outShape));
  for (let i = outShape.length - 1; i >= 0; i--) {
    const d = outShape[i];
    if (d === 1) continue;
    if (dims.length > 0) {
      const last = dims.length - 1;
      let mergeable = true;
      for (let o = 0; o < count; o++) {
        if (full[o][i] !== strides[o][last] * dims[last]) {
          mergeable = false;
          break;
        }
      }
      if (mergeable) {
        dims[last] *= d;
        continue;
      }
    }
    dims.push(d);
    for (let o = 0; o < count; o++) strides[o].push(full[o][i]);
  }
  // dims/strides are innermost-first now.
  if (dims.length === 0) {
    row(new Array<number>(count).fill(0), 0, 1, new Array<number>(count).fill(0));
    return;
  }
  const n = dims[0];
  const inner = strides.map((s) => s[0]);
  const outerRank = dims.length - 1;
  const rows = total / n;
  const counter = new Array<number>(outerRank).fill(0);
  const offsets = new Array<number>(count).fill(0);
  for (let r = 0; r < rows; r++) {
    row(offsets, r * n, n, inner);
    // Odometer over the outer dims (innermost-first).
    for (let j = 0; j < outerRank; j++) {
      const dim = j + 1;
      counter[j]++;
      for (let o = 0; o < count; o++) offsets[o] += strides[o][dim];
      if (counter[j] < dims[dim]) break;
      for (let o = 0; o < count; o++) offsets[o] -= strides[o][dim] * dims[dim];
      counter[j] = 0;
    }
  }
}

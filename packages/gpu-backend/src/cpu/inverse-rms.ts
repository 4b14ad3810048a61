/**
 * 1 / sqrt(mean(x^2) + eps) of `rows` contiguous rows of `d` from `first`, into
 * out[0..rows): the sum of squares in float64, element by element in order, as
 * JavaScript forms it. Two rows at a time: one row's sum is a chain of dependent
 * adds, and two chains side by side run in the time of one (the bits are each row's own).
 */
export function inverseRms(
  x: Float32Array,
  first: number,
  rows: number,
  d: number,
  eps: number,
  out: Float64Array,
): void {
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const a = first + r * d;
    const b = a + d;
    let sa = 0;
    let sb = 0;
    for (let c = 0; c < d; c++) {
      const u = x[a + c]!;
      const v = x[b + c]!;
      sa += u * u;
      sb += v * v;
    }
    out[r] = 1 / Math.sqrt(sa / d + eps);
    out[r + 1] = 1 / Math.sqrt(sb / d + eps);
  }
  if (r < rows) {
    const a = first + r * d;
    let sa = 0;
    for (let c = 0; c < d; c++) sa += x[a + c]! * x[a + c]!;
    out[r] = 1 / Math.sqrt(sa / d + eps);
  }
}

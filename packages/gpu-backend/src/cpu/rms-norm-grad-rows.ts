/**
 * rmsNormGrad's formulas for one row, or two side by side (`pair`), in float64:
 * with g the row's incoming gradient (from `gA` in g; the second row's from `gB`),
 * x the row (from `xA`; the second from `xB`) and r its inverse RMS (`ra`, `rb`),
 *   dx = r (g w - x r mean(g w x r))   into dx at the row's own offset in x,
 *   dweight[c] += g x r                 the first row's term before the second's at every c,
 * so two rows give the bits of one row after the other. Each row's dot product is a
 * chain of dependent adds; two run side by side in the time of one.
 */
export function rmsNormGradRows(
  g: Float32Array,
  gA: number,
  gB: number,
  x: Float32Array,
  xA: number,
  xB: number,
  ra: number,
  rb: number,
  pair: boolean,
  w: Float32Array,
  d: number,
  dw: Float64Array,
  dx: Float32Array,
): void {
  let dotA = 0;
  if (pair) {
    let dotB = 0;
    for (let c = 0; c < d; c++) {
      const xa = x[xA + c]! * ra;
      const xb = x[xB + c]! * rb;
      dotA += g[gA + c]! * w[c]! * xa;
      dotB += g[gB + c]! * w[c]! * xb;
      dw[c] += g[gA + c]! * xa;
      dw[c] += g[gB + c]! * xb;
    }
    const meanB = dotB / d;
    for (let c = 0; c < d; c++) dx[xB + c] = rb * (g[gB + c]! * w[c]! - x[xB + c]! * rb * meanB);
  } else {
    for (let c = 0; c < d; c++) {
      const xa = x[xA + c]! * ra;
      dotA += g[gA + c]! * w[c]! * xa;
      dw[c] += g[gA + c]! * xa;
    }
  }
  const meanA = dotA / d;
  for (let c = 0; c < d; c++) dx[xA + c] = ra * (g[gA + c]! * w[c]! - x[xA + c]! * ra * meanA);
}

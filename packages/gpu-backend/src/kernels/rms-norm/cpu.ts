import { implement } from '../../registry.js';
import { rmsNorm, rmsNormGrad } from './contract.js';
import { rmsNormDims } from './math.js';
import { floatInput, floatOutput } from '../../cpu/host.js';
import { rowBase, rowsOf } from '../../cpu/rows.js';
import { simdRows } from '../../cpu/simd/simd.js';
import { inverseRms } from '../../cpu/inverse-rms.js';
import { rmsNormGradRows } from '../../cpu/rms-norm-grad-rows.js';
import { activeNative } from '../../cpu/matmul/gemm.js';

/** Elements below which the JavaScript costs less than a call into the native addon. */
export const NATIVE_MIN_ELEMENTS = 256;

let nativeCalls = 0;
let nativeForwardCalls = 0;

/** rmsNormGrad calls the native addon ran (which path the kernel took, for tests). */
export function nativeRmsNormGradCallCount(): number {
  return nativeCalls;
}

/** rmsNorm (and addRmsNorm) row passes the native addon ran, for tests. */
export function nativeRmsNormCallCount(): number {
  return nativeForwardCalls;
}

/** Floats of x (and as many of y) per pass through the SIMD memory. */
const SIMD_CHUNK = 8192;

/**
 * y = x / sqrt(mean(x^2) + eps) * weight over the last axis. Rows of at
 * least 16 run in WebAssembly SIMD, a block of rows at a time copied into
 * its memory: the sum of squares in float64 as in JavaScript, the scaling
 * in float32 (within 2 ulp of the float64 product).
 */
const rmsNormKernel = implement(rmsNorm, 'cpu', ({ inputs, attrs, backend }) => {
  const [xInfo, wInfo] = inputs;
  const { d } = rmsNormDims('rmsNorm', xInfo, wInfo, attrs);
  const {
    rows,
    x: [x],
    out,
  } = rowsOf('rmsNorm', backend, [xInfo], -1, 'same');
  // Rows along the last axis are contiguous.
  rmsNormContiguousRows(x, floatInput(backend, wInfo, 'rmsNorm'), out.data, rows.count, d, attrs.eps);
  return out.info;
});

/** rmsNorm of one row of `d` at `base` (the sum of squares in float64, as JavaScript computes). */
function rmsNormRow(x: Float32Array, w: Float32Array, y: Float32Array, base: number, d: number, eps: number): void {
  let ss = 0;
  for (let c = 0; c < d; c++) ss += x[base + c] * x[base + c];
  const inv = 1 / Math.sqrt(ss / d + eps);
  for (let c = 0; c < d; c++) y[base + c] = x[base + c] * inv * w[c];
}

/**
 * rmsNorm of `count` contiguous rows of `d`: WebAssembly SIMD for rows of 16 to
 * SIMD_CHUNK (or the native addon's version of that kernel, the same bits, where
 * the addon runs the products), plain JavaScript otherwise (what the rmsNorm kernel
 * runs; addRmsNorm runs it on its sum, so the two give the same bits).
 */
export function rmsNormContiguousRows(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  count: number,
  d: number,
  eps: number,
): void {
  if (d < 16 || d > SIMD_CHUNK) {
    for (let r = 0; r < count; r++) rmsNormRow(x, w, y, r * d, d, eps);
    return;
  }
  const native = count * d >= NATIVE_MIN_ELEMENTS ? activeNative() : null;
  if (native?.rmsNorm) {
    native.rmsNorm(x, w, y, eps);
    nativeForwardCalls++;
  } else simdRmsNorm(x, w, y, count, d, eps);
}

/** rmsNorm over `count` contiguous rows of `d` in the SIMD memory (see the kernel). */
function simdRmsNorm(x: Float32Array, w: Float32Array, y: Float32Array, count: number, d: number, eps: number): void {
  const simd = simdRows();
  const padded = Math.ceil(d / 4) * 4;
  const block = Math.max(1, Math.floor(SIMD_CHUNK / d));
  // weight, then the block of x rows, then the block of y rows (each padded to whole vectors)
  const wAt = simd.reserve(padded + 2 * (block * d + 4));
  const xAt = wAt + padded;
  const yAt = xAt + block * d + 4;
  const mem = simd.f32;
  const { kernels, params } = simd;
  mem.set(w, wAt);
  for (let r0 = 0; r0 < count; r0 += block) {
    const rowsHere = Math.min(block, count - r0);
    mem.set(x.subarray(r0 * d, (r0 + rowsHere) * d), xAt);
    // rows in order: a row's padded tail spills into the next row's y, which that row then writes
    for (let r = 0; r < rowsHere; r++) {
      const at = xAt + r * d;
      kernels.sum_squares(at * 4, d);
      params[0] = 1 / Math.sqrt(simd.sumResult() / d + eps);
      kernels.scale_by_weight(at * 4, wAt * 4, (yAt + r * d) * 4, d);
    }
    y.set(mem.subarray(yAt, yAt + rowsHere * d), r0 * d);
  }
}

/**
 * With r = 1/sqrt(mean(x^2) + eps), xhat = x r and g = dy * weight:
 *   dx = r (g - xhat mean(g xhat)),   dweight = sum over rows of dy xhat.
 */
const rmsNormGradKernel = implement(rmsNormGrad, 'cpu', ({ inputs, attrs, backend }) => {
  const [dyInfo, xInfo, wInfo] = inputs;
  const { d } = rmsNormDims('rmsNormGrad', xInfo, wInfo, attrs);
  const names = { names: ['dy', 'x'] };
  const {
    rows,
    x: [dy, x],
    out: dxOut,
  } = rowsOf('rmsNormGrad', backend, [dyInfo, xInfo], -1, 'same', names);
  const w = floatInput(backend, wInfo, 'rmsNormGrad');
  const dwOut = floatOutput(backend, wInfo.shape);
  const dx = dxOut.data;
  // The native addon (where it runs the products): the same formulas in the same order, so the same bits.
  const native = dx.length >= NATIVE_MIN_ELEMENTS ? activeNative() : null;
  if (native?.rmsNormGrad) {
    native.rmsNormGrad(dy, x, w, dx, dwOut.data, attrs.eps);
    nativeCalls++;
    return [dxOut.info, dwOut.info];
  }
  const dw = new Float64Array(d);
  const inv = new Float64Array(2);
  // Rows (along the last axis: contiguous) two at a time (see rmsNormGradRows).
  for (let row = 0; row < rows.count; row += 2) {
    const a = rowBase(rows, row);
    const pair = row + 1 < rows.count;
    inverseRms(x, a, pair ? 2 : 1, d, attrs.eps, inv);
    rmsNormGradRows(dy, a, a + d, x, a, a + d, inv[0]!, inv[1]!, pair, w, d, dw, dx);
  }
  dwOut.data.set(dw);
  return [dxOut.info, dwOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [rmsNormKernel, rmsNormGradKernel];

import { floatInput, floatOutput, intInput, writtenFloatOutput } from '../../cpu/host.js';
import { implement } from '../../registry.js';
import { assertInputCount } from '../../shape.js';
import { inverseRms } from '../../cpu/inverse-rms.js';
import { rmsNormGradRows } from '../../cpu/rms-norm-grad-rows.js';
import { activeNative } from '../../cpu/matmul/gemm.js';
import { NATIVE_MIN_ELEMENTS } from '../rms-norm/cpu.js';
import { ropeAngleTable, type RopeAngleTable } from '../rope/math.js';
import { rmsNormRope, rmsNormRopeGrad } from './contract.js';
import { rmsNormRopeDims } from './math.js';

/**
 * The cos and sin of position `pos` (D/2 each) and where they start: the shared
 * table's own arrays where it covers pos (read in place), else `cos` / `sin` filled.
 */
function anglesOf(
  table: RopeAngleTable,
  pos: number,
  cos: Float32Array,
  sin: Float32Array,
): [Float32Array, Float32Array, number] {
  const at = table.offsetOf(pos);
  if (at >= 0) return [table.cosValues, table.sinValues, at];
  table.angles(pos, 1, cos, sin);
  return [cos, sin, 0];
}

let nativeCalls = 0;

/** rmsNormRope and rmsNormRopeGrad calls the native addon ran (which path a kernel took, for tests). */
export function nativeRmsNormRopeCallCount(): number {
  return nativeCalls;
}

/**
 * The native addon when it runs the products, the call is large enough to pay for
 * the crossing and the table covers every position (the addon reads the angles from
 * it); else null and the JavaScript below runs. The same formulas in the same order
 * either way, so the same bits.
 */
function nativeFor(elements: number, table: RopeAngleTable, positions: Int32Array, half: number) {
  if (elements < NATIVE_MIN_ELEMENTS) return null;
  const native = activeNative();
  if (!native) return null;
  const covered = table.cosValues.length / half;
  for (let i = 0; i < positions.length; i++) if (!(positions[i]! >= 0 && positions[i]! < covered)) return null;
  return native;
}

/**
 * Per token (b, t): the angles once and the inverse RMS of its heads' rows, then
 * per head h each element of x[b, t, h, :] normalised (rounded to float32, as
 * rmsNorm's output is) and rotated into y[b, h, t, :]. The roundings are those of
 * rmsNorm, then rope, so the values equal the composition's bit for bit; the
 * [B, T, H, D] normalised and [B, H, T, D] transposed temporaries are never made.
 */
const rmsNormRopeKernel = implement(rmsNormRope, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormRope', inputs, 3);
  const [xInfo, wInfo, posInfo] = inputs;
  const { b, t, h, d } = rmsNormRopeDims('rmsNormRope', xInfo, wInfo, posInfo, attrs);
  const out = writtenFloatOutput(backend, [b, h, t, d]);
  if (out.data.length === 0) return out.info;
  const x = floatInput(backend, xInfo, 'rmsNormRope');
  const w = floatInput(backend, wInfo, 'rmsNormRope');
  const positions = intInput(backend, posInfo, 'rmsNormRope', 'positions');
  const y = out.data;
  const half = d / 2;
  const table = ropeAngleTable(attrs.theta, d, positions);
  const native = nativeFor(y.length, table, positions, half);
  if (native?.rmsNormRope) {
    native.rmsNormRope(x, w, positions, table.cosValues, table.sinValues, y, t, h, attrs.eps);
    nativeCalls++;
    return out.info;
  }
  const [cosBuffer, sinBuffer] = [new Float32Array(half), new Float32Array(half)];
  const inv = new Float64Array(h);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      const [cos, sin, at] = anglesOf(table, positions[bi * t + ti]!, cosBuffer, sinBuffer);
      const token = (bi * t + ti) * h * d;
      inverseRms(x, token, h, d, attrs.eps, inv);
      for (let hi = 0; hi < h; hi++) {
        const src = token + hi * d;
        const r = inv[hi]!;
        const dst = ((bi * h + hi) * t + ti) * d;
        for (let i = 0; i < half; i++) {
          const x1 = Math.fround(x[src + i]! * r * w[i]!);
          const x2 = Math.fround(x[src + i + half]! * r * w[i + half]!);
          const c = cos[at + i]!;
          const s = sin[at + i]!;
          y[dst + i] = x1 * c - x2 * s;
          y[dst + i + half] = x2 * c + x1 * s;
        }
      }
    }
  }
  return out.info;
});

/**
 * g from `to` = the row of dy at `src` rotated back by the angles at `at` of cos / sin, each
 * value rounded to float32 as rope's inverse rounds it: y1 cos - y2 (-sin) is
 * written y1 cos + y2 sin (the same bits: negation is exact).
 */
function rotateBack(
  dy: Float32Array,
  src: number,
  half: number,
  cos: Float32Array,
  sin: Float32Array,
  at: number,
  g: Float32Array,
  to: number,
): void {
  for (let i = 0; i < half; i++) {
    const y1 = dy[src + i]!;
    const y2 = dy[src + i + half]!;
    const c = cos[at + i]!;
    const s = sin[at + i]!;
    g[to + i] = y1 * c + y2 * s;
    g[to + i + half] = y2 * c - y1 * s;
  }
}

/**
 * Per row (b, t, h), in that order: g = dy[b, h, t, :] rotated back (float32,
 * as rope's inverse rounds it), then rmsNormGrad's formulas with r = 1/sqrt(mean(x^2) + eps):
 * dx = r (g w - x r mean(g w x r)), dweight += g x r (float64 over the rows in
 * the composition's order, so it matches bit for bit).
 */
const rmsNormRopeGradKernel = implement(rmsNormRopeGrad, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormRopeGrad', inputs, 4);
  const [dyInfo, xInfo, wInfo, posInfo] = inputs;
  const { b, t, h, d } = rmsNormRopeDims('rmsNormRopeGrad', xInfo, wInfo, posInfo, attrs, dyInfo);
  // Both paths write every element of dx; dweight (zeroed) is written whole too, but stays zero for no rows.
  const dxOut = writtenFloatOutput(backend, xInfo.shape);
  const dwOut = floatOutput(backend, [d]);
  if (dxOut.data.length === 0) return [dxOut.info, dwOut.info];
  const dy = floatInput(backend, dyInfo, 'rmsNormRopeGrad');
  const x = floatInput(backend, xInfo, 'rmsNormRopeGrad');
  const w = floatInput(backend, wInfo, 'rmsNormRopeGrad');
  const positions = intInput(backend, posInfo, 'rmsNormRopeGrad', 'positions');
  const dx = dxOut.data;
  const half = d / 2;
  const table = ropeAngleTable(attrs.theta, d, positions);
  const native = nativeFor(dx.length, table, positions, half);
  if (native?.rmsNormRopeGrad) {
    native.rmsNormRopeGrad(dy, x, w, positions, table.cosValues, table.sinValues, dx, dwOut.data, t, h, attrs.eps);
    nativeCalls++;
    return [dxOut.info, dwOut.info];
  }
  const dw = new Float64Array(d);
  const [cosBuffer, sinBuffer] = [new Float32Array(half), new Float32Array(half)];
  const g = new Float32Array(2 * d);
  const inv = new Float64Array(h);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      const [cos, sin, at] = anglesOf(table, positions[bi * t + ti]!, cosBuffer, sinBuffer);
      const token = (bi * t + ti) * h * d;
      inverseRms(x, token, h, d, attrs.eps, inv);
      // Heads two at a time (see rmsNormGradRows): their rotated-back gradients side by side in g.
      for (let hi = 0; hi < h; hi += 2) {
        const pair = hi + 1 < h;
        rotateBack(dy, ((bi * h + hi) * t + ti) * d, half, cos, sin, at, g, 0);
        if (pair) rotateBack(dy, ((bi * h + hi + 1) * t + ti) * d, half, cos, sin, at, g, d);
        const row = token + hi * d;
        rmsNormGradRows(g, 0, d, x, row, row + d, inv[hi]!, pair ? inv[hi + 1]! : 0, pair, w, d, dw, dx);
      }
    }
  }
  dwOut.data.set(dw);
  return [dxOut.info, dwOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [rmsNormRopeKernel, rmsNormRopeGradKernel];

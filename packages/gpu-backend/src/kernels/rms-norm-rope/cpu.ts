import { floatInput, floatOutput, intInput, writtenFloatOutput } from '../../cpu/host.js';
import { implement } from '../../registry.js';
import { assertInputCount } from '../../shape.js';
import { ropeAngleTable } from '../rope/math.js';
import { rmsNormRope, rmsNormRopeGrad } from './contract.js';
import { rmsNormRopeDims } from './math.js';

/**
 * Per token (b, t): the angles once, then per head h the row x[b, t, h, :]
 * normalised into a float32 row buffer and rotated into y[b, h, t, :]. The
 * roundings are those of rmsNorm, then rope, so the values equal the
 * composition's bit for bit; the [B, T, H, D] normalised and [B, H, T, D]
 * transposed temporaries are never made.
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
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  const n = new Float32Array(d);
  const eps = attrs.eps;
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      table.angles(positions[bi * t + ti]!, 1, cos, sin);
      for (let hi = 0; hi < h; hi++) {
        const src = ((bi * t + ti) * h + hi) * d;
        let ss = 0;
        for (let c = 0; c < d; c++) ss += x[src + c] * x[src + c];
        const inv = 1 / Math.sqrt(ss / d + eps);
        for (let c = 0; c < d; c++) n[c] = x[src + c] * inv * w[c];
        const dst = ((bi * h + hi) * t + ti) * d;
        for (let i = 0; i < half; i++) {
          const x1 = n[i];
          const x2 = n[i + half];
          y[dst + i] = x1 * cos[i] - x2 * sin[i];
          y[dst + i + half] = x2 * cos[i] + x1 * sin[i];
        }
      }
    }
  }
  return out.info;
});

/**
 * Per row (b, t, h), in that order: g = dy[b, h, t, :] rotated back (float32,
 * as rope's inverse rounds it), then rmsNormGrad's formulas with r =
 * 1/sqrt(mean(x^2) + eps): dx = r (g w - x r mean(g w x r)), dweight += g x r
 * (float64 over the rows in the composition's order, so it matches bit for bit).
 */
const rmsNormRopeGradKernel = implement(rmsNormRopeGrad, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormRopeGrad', inputs, 4);
  const [dyInfo, xInfo, wInfo, posInfo] = inputs;
  const { b, t, h, d } = rmsNormRopeDims('rmsNormRopeGrad', xInfo, wInfo, posInfo, attrs, dyInfo);
  const dxOut = floatOutput(backend, xInfo.shape);
  const dwOut = floatOutput(backend, [d]);
  if (dxOut.data.length === 0) return [dxOut.info, dwOut.info];
  const dy = floatInput(backend, dyInfo, 'rmsNormRopeGrad');
  const x = floatInput(backend, xInfo, 'rmsNormRopeGrad');
  const w = floatInput(backend, wInfo, 'rmsNormRopeGrad');
  const positions = intInput(backend, posInfo, 'rmsNormRopeGrad', 'positions');
  const dx = dxOut.data;
  const dw = new Float64Array(d);
  const half = d / 2;
  const table = ropeAngleTable(attrs.theta, d, positions);
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  const g = new Float32Array(d);
  const eps = attrs.eps;
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      table.angles(positions[bi * t + ti]!, -1, cos, sin);
      for (let hi = 0; hi < h; hi++) {
        const src = ((bi * h + hi) * t + ti) * d;
        for (let i = 0; i < half; i++) {
          const y1 = dy[src + i];
          const y2 = dy[src + i + half];
          g[i] = y1 * cos[i] - y2 * sin[i];
          g[i + half] = y2 * cos[i] + y1 * sin[i];
        }
        const row = ((bi * t + ti) * h + hi) * d;
        let ss = 0;
        for (let c = 0; c < d; c++) ss += x[row + c] * x[row + c];
        const r = 1 / Math.sqrt(ss / d + eps);
        let dot = 0;
        for (let c = 0; c < d; c++) {
          const xhat = x[row + c] * r;
          dot += g[c] * w[c] * xhat;
          dw[c] += g[c] * xhat;
        }
        const meanDot = dot / d;
        for (let c = 0; c < d; c++) dx[row + c] = r * (g[c] * w[c] - x[row + c] * r * meanDot);
      }
    }
  }
  dwOut.data.set(dw);
  return [dxOut.info, dwOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [rmsNormRopeKernel, rmsNormRopeGradKernel];

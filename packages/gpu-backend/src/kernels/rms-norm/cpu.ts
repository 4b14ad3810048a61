import type { TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { rmsNorm, rmsNormGrad } from './contract.js';
import { fmt, kernelError } from '../../shape.js';
import { floatInput, floatOutput } from '../../cpu/host.js';
import { rowBase, rowsOf } from '../../cpu/rows.js';

function rmsNormDims(kernel: string, x: TensorInfo, weight: TensorInfo, attrs: { eps: number }): { d: number } {
  if (x.shape.length < 1) throw kernelError(kernel, `x must have rank >= 1, got ${fmt(x.shape)}`);
  const d = x.shape[x.shape.length - 1];
  if (weight.shape.length !== 1 || weight.shape[0] !== d) {
    throw kernelError(kernel, `weight ${fmt(weight.shape)} must be [${d}] to match x ${fmt(x.shape)}`);
  }
  if (typeof attrs.eps !== 'number' || !(attrs.eps >= 0))
    throw kernelError(kernel, `attrs.eps must be a non-negative number, got ${String(attrs.eps)}`);
  return { d };
}

/** y = x / sqrt(mean(x^2) + eps) * weight over the last axis. */
const rmsNormKernel = implement(rmsNorm, 'cpu', ({ inputs, attrs, backend }) => {
  const [xInfo, wInfo] = inputs;
  const { d } = rmsNormDims('rmsNorm', xInfo, wInfo, attrs);
  const {
    rows,
    x: [x],
    out,
  } = rowsOf('rmsNorm', backend, [xInfo], -1, 'same');
  const w = floatInput(backend, wInfo, 'rmsNorm');
  const y = out.data;
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    let ss = 0;
    for (let c = 0; c < d; c++) ss += x[base + c] * x[base + c];
    const inv = 1 / Math.sqrt(ss / d + attrs.eps);
    for (let c = 0; c < d; c++) y[base + c] = x[base + c] * inv * w[c];
  }
  return out.info;
});

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
  const dw = new Float64Array(d);
  for (let row = 0; row < rows.count; row++) {
    const base = rowBase(rows, row);
    let ss = 0;
    for (let c = 0; c < d; c++) ss += x[base + c] * x[base + c];
    const r = 1 / Math.sqrt(ss / d + attrs.eps);
    let dot = 0;
    for (let c = 0; c < d; c++) {
      const xhat = x[base + c] * r;
      dot += dy[base + c] * w[c] * xhat;
      dw[c] += dy[base + c] * xhat;
    }
    const meanDot = dot / d;
    for (let c = 0; c < d; c++) dx[base + c] = r * (dy[base + c] * w[c] - x[base + c] * r * meanDot);
  }
  dwOut.data.set(dw);
  return [dxOut.info, dwOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [rmsNormKernel, rmsNormGradKernel];

import { expf } from '../../cpu/expf.js';
import { rowBase, rowsOf } from '../../cpu/rows.js';
import { simdRows, type SimdRows } from '../../cpu/simd/simd.js';
import { implement } from '../../registry.js';
import { logSoftmax, logSoftmaxGrad, logSumExp, softmax, softmaxGrad } from './contract.js';

/**
 * The softmax family along one axis, row by row (see cpu/rows.ts); sums run
 * in float64 and every exponent is taken relative to the row maximum. Rows
 * along the last axis (contiguous) go through the WebAssembly SIMD row
 * kernels on a copy of the row; strided rows run in JavaScript.
 */

/**
 * A contiguous row copied to `at` in the SIMD memory: its maximum, then (for
 * a finite maximum) exp(x - max) in place and the row's log-sum-exp.
 * Returns the log-sum-exp, or the maximum itself when it is not finite.
 */
function simdRowLogSumExp(simd: SimdRows, x: Float32Array, base: number, n: number, at: number): number {
  simd.f32.set(x.subarray(base, base + n), at);
  simd.params[0] = 1;
  simd.kernels.max_scaled(at * 4, n);
  const m = simd.maxResult();
  if (m === -Infinity || m === Infinity || m !== m) return m;
  simd.params[1] = m;
  simd.kernels.exp_sum(at * 4, n);
  return m + Math.log(simd.sumResult());
}

function rowMax(x: Float32Array, base: number, n: number, stride: number): number {
  let m = -Infinity;
  for (let j = 0, p = base; j < n; j++, p += stride) {
    const v = x[p];
    if (v > m || v !== v) m = v;
  }
  return m;
}

/** log(sum(exp(row))) with the max shifted out; -Infinity for an empty or all -Infinity row. */
function rowLogSumExp(x: Float32Array, base: number, n: number, stride: number): number {
  const m = rowMax(x, base, n, stride);
  if (m === -Infinity || m === Infinity || m !== m) return m;
  let s = 0;
  for (let j = 0, p = base; j < n; j++, p += stride) s += expf(x[p] - m);
  return m + Math.log(s);
}

const softmaxKernel = implement(softmax, 'cpu', ({ inputs, attrs, backend }) => {
  const {
    rows,
    x: [x],
    out,
  } = rowsOf('softmax', backend, inputs, attrs.axis, 'same');
  const { n, stride } = rows;
  const y = out.data;
  const simd = stride === 1 ? simdRows() : null;
  const at = simd ? simd.reserve(n + 4) : 0;
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    if (simd) {
      const lse = simdRowLogSumExp(simd, x, base, n, at);
      if (Number.isFinite(lse)) {
        // exp(x - max) is in place: divide by the sum (e^(lse - max)) and copy out
        simd.params[0] = Math.exp(simd.params[1] - lse);
        simd.kernels.scale(at * 4, n);
        y.set(simd.f32.subarray(at, at + n), base);
        continue;
      }
    }
    const m = rowMax(x, base, n, stride);
    let s = 0;
    for (let j = 0, p = base; j < n; j++, p += stride) {
      const e = expf(x[p] - m);
      y[p] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let j = 0, p = base; j < n; j++, p += stride) y[p] *= inv;
  }
  return out.info;
});

const logSoftmaxKernel = implement(logSoftmax, 'cpu', ({ inputs, attrs, backend }) => {
  const {
    rows,
    x: [x],
    out,
  } = rowsOf('logSoftmax', backend, inputs, attrs.axis, 'same');
  const { n, stride } = rows;
  const y = out.data;
  const simd = stride === 1 ? simdRows() : null;
  const at = simd ? simd.reserve(n) : 0;
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    const lse = simd ? simdRowLogSumExp(simd, x, base, n, at) : rowLogSumExp(x, base, n, stride);
    for (let j = 0, p = base; j < n; j++, p += stride) y[p] = x[p] - lse;
  }
  return out.info;
});

const logSumExpKernel = implement(logSumExp, 'cpu', ({ inputs, attrs, backend }) => {
  const result = attrs.keepDims === true ? 'perRowKeepDims' : 'perRow';
  const {
    rows,
    x: [x],
    out,
  } = rowsOf('logSumExp', backend, inputs, attrs.axis, result);
  const simd = rows.stride === 1 ? simdRows() : null;
  const at = simd ? simd.reserve(rows.n) : 0;
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    out.data[r] = simd ? simdRowLogSumExp(simd, x, base, rows.n, at) : rowLogSumExp(x, base, rows.n, rows.stride);
  }
  return out.info;
});

/** dx = y * (dy - sum(dy * y)). */
const softmaxGradKernel = implement(softmaxGrad, 'cpu', ({ inputs, attrs, backend }) => {
  const {
    rows,
    x: [dy, y],
    out,
  } = rowsOf('softmaxGrad', backend, inputs, attrs.axis, 'same', { names: ['dy', 'y'] });
  const { n, stride } = rows;
  const dx = out.data;
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    let dot = 0;
    for (let j = 0, p = base; j < n; j++, p += stride) dot += dy[p] * y[p];
    for (let j = 0, p = base; j < n; j++, p += stride) dx[p] = y[p] * (dy[p] - dot);
  }
  return out.info;
});

/** dx = dy - exp(y) * sum(dy). */
const logSoftmaxGradKernel = implement(logSoftmaxGrad, 'cpu', ({ inputs, attrs, backend }) => {
  const names = { names: ['dy', 'y'] };
  const {
    rows,
    x: [dy, y],
    out,
  } = rowsOf('logSoftmaxGrad', backend, inputs, attrs.axis, 'same', names);
  const { n, stride } = rows;
  const dx = out.data;
  const simd = stride === 1 ? simdRows() : null;
  const at = simd ? simd.reserve(n) : 0;
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    let total = 0;
    for (let j = 0, p = base; j < n; j++, p += stride) total += dy[p];
    if (simd) {
      // -total * exp(y) in SIMD on a copy of the row, then dy added
      const mem = simd.f32;
      mem.set(y.subarray(base, base + n), at);
      simd.params.set([1, 0, -total, 0]);
      simd.kernels.exp_scaled(at * 4, n);
      for (let j = 0; j < n; j++) dx[base + j] = dy[base + j] + mem[at + j];
      continue;
    }
    for (let j = 0, p = base; j < n; j++, p += stride) dx[p] = dy[p] - expf(y[p]) * total;
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [
  softmaxKernel,
  logSoftmaxKernel,
  logSumExpKernel,
  softmaxGradKernel,
  logSoftmaxGradKernel,
];

import { expf } from '../../cpu/expf.js';
import { rowBase, rowsOf } from '../../cpu/rows.js';
import { implement } from '../../registry.js';
import { logSoftmax, logSoftmaxGrad, logSumExp, softmax, softmaxGrad } from './contract.js';

/**
 * The softmax family along one axis, row by row (see cpu/rows.ts); sums run
 * in float64 and every exponent is taken relative to the row maximum.
 */

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
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
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
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    const lse = rowLogSumExp(x, base, n, stride);
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
  for (let r = 0; r < rows.count; r++) out.data[r] = rowLogSumExp(x, rowBase(rows, r), rows.n, rows.stride);
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
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    let total = 0;
    for (let j = 0, p = base; j < n; j++, p += stride) total += dy[p];
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

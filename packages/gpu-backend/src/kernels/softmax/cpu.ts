import { expf } from '../../cpu/expf.js';
import { implement } from '../../registry.js';
import { logSoftmax, logSoftmaxGrad, logSumExp, softmax, softmaxGrad } from './contract.js';
import { assertInputCount, assertSameShape, normalizeAxis, splitAtAxis } from '../../shape.js';
import { floatInput, floatOutput } from '../../cpu/host.js';

/**
 * The softmax family along one axis. Every row is the n elements
 * base, base + inner, ... of an [outer, n, inner] view; sums run in float64
 * and every exponent is taken relative to the row maximum.
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
  assertInputCount('softmax', inputs, 1);
  const [xInfo] = inputs;
  const axis = normalizeAxis('softmax', attrs.axis, xInfo.shape.length);
  const { outer, n, inner } = splitAtAxis(xInfo.shape, axis);
  const x = floatInput(backend, xInfo, 'softmax');
  const out = floatOutput(backend, xInfo.shape);
  const y = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const m = rowMax(x, base, n, inner);
      let s = 0;
      for (let j = 0, p = base; j < n; j++, p += inner) {
        const e = expf(x[p] - m);
        y[p] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let j = 0, p = base; j < n; j++, p += inner) y[p] *= inv;
    }
  }
  return out.info;
});

const logSoftmaxKernel = implement(logSoftmax, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('logSoftmax', inputs, 1);
  const [xInfo] = inputs;
  const axis = normalizeAxis('logSoftmax', attrs.axis, xInfo.shape.length);
  const { outer, n, inner } = splitAtAxis(xInfo.shape, axis);
  const x = floatInput(backend, xInfo, 'logSoftmax');
  const out = floatOutput(backend, xInfo.shape);
  const y = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const lse = rowLogSumExp(x, base, n, inner);
      for (let j = 0, p = base; j < n; j++, p += inner) y[p] = x[p] - lse;
    }
  }
  return out.info;
});

const logSumExpKernel = implement(logSumExp, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('logSumExp', inputs, 1);
  const [xInfo] = inputs;
  const axis = normalizeAxis('logSumExp', attrs.axis, xInfo.shape.length);
  const { outer, n, inner } = splitAtAxis(xInfo.shape, axis);
  const x = floatInput(backend, xInfo, 'logSumExp');
  const outShape =
    attrs.keepDims === true
      ? xInfo.shape.map((d, i) => (i === axis ? 1 : d))
      : xInfo.shape.filter((_, i) => i !== axis);
  const out = floatOutput(backend, outShape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) out.data[o * inner + i] = rowLogSumExp(x, o * n * inner + i, n, inner);
  }
  return out.info;
});

/** dx = y * (dy - sum(dy * y)). */
const softmaxGradKernel = implement(softmaxGrad, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('softmaxGrad', inputs, 2);
  const [dyInfo, yInfo] = inputs;
  assertSameShape('softmaxGrad', ['dy', 'y'], [dyInfo.shape, yInfo.shape]);
  const axis = normalizeAxis('softmaxGrad', attrs.axis, yInfo.shape.length);
  const { outer, n, inner } = splitAtAxis(yInfo.shape, axis);
  const dy = floatInput(backend, dyInfo, 'softmaxGrad');
  const y = floatInput(backend, yInfo, 'softmaxGrad');
  const out = floatOutput(backend, yInfo.shape);
  const dx = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let dot = 0;
      for (let j = 0, p = base; j < n; j++, p += inner) dot += dy[p] * y[p];
      for (let j = 0, p = base; j < n; j++, p += inner) dx[p] = y[p] * (dy[p] - dot);
    }
  }
  return out.info;
});

/** dx = dy - exp(y) * sum(dy). */
const logSoftmaxGradKernel = implement(logSoftmaxGrad, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('logSoftmaxGrad', inputs, 2);
  const [dyInfo, yInfo] = inputs;
  assertSameShape('logSoftmaxGrad', ['dy', 'y'], [dyInfo.shape, yInfo.shape]);
  const axis = normalizeAxis('logSoftmaxGrad', attrs.axis, yInfo.shape.length);
  const { outer, n, inner } = splitAtAxis(yInfo.shape, axis);
  const dy = floatInput(backend, dyInfo, 'logSoftmaxGrad');
  const y = floatInput(backend, yInfo, 'logSoftmaxGrad');
  const out = floatOutput(backend, yInfo.shape);
  const dx = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let total = 0;
      for (let j = 0, p = base; j < n; j++, p += inner) total += dy[p];
      for (let j = 0, p = base; j < n; j++, p += inner) dx[p] = dy[p] - expf(y[p]) * total;
    }
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

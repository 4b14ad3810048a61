import { implement } from '../../registry.js';
import { logSoftmax, logSoftmaxGrad, logSumExp, softmax, softmaxGrad } from './contract.js';
import type { Backend, TensorInfo } from '../../backend.js';
import { assertInputCount, assertSameShape, normalizeAxis, splitAtAxis } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { elementRow, rowBase } from '../../gpujs/index-math.js';

/**
 * The softmax family along one axis of an [outer, n, inner] view, in two
 * launches: a per-row statistic (one thread per row), then an elementwise
 * pass that reads it (one thread per element).
 */

const ROW_PARAMS = [
  ['x', 'Array'],
  ['n', 'Integer'],
  ['inner', 'Integer'],
] as const;

/** log(sum(exp(row))) with the max shifted out; the max itself for an empty, +-Infinity-topped or NaN row. */
export const ROW_LOG_SUM_EXP = deviceKernel(
  'row_logsumexp',
  ROW_PARAMS,
  `
${rowBase('this.thread.x', 'n', 'inner')}
let m = -Infinity;
for (let j = 0; j < n; j++) {
  const v = x[base + j * inner];
  if (v > m || v != v) {
    m = v;
  }
}
if (m != m || m < -3.0e38 || m > 3.0e38) {
  return m;
}
let s = 0.0;
for (let k = 0; k < n; k++) {
  s += Math.exp(x[base + k * inner] - m);
}
return m + Math.log(s);`,
);

/** sum(a * b) along the row. */
export const ROW_DOT = deviceKernel(
  'row_dot',
  [
    ['a', 'Array'],
    ['b', 'Array'],
    ['n', 'Integer'],
    ['inner', 'Integer'],
  ],
  `
${rowBase('this.thread.x', 'n', 'inner')}
let s = 0.0;
for (let j = 0; j < n; j++) {
  s += a[base + j * inner] * b[base + j * inner];
}
return s;`,
);

/** sum(a) along the row. */
const ROW_SUM = deviceKernel(
  'row_sum',
  ROW_PARAMS,
  `
${rowBase('this.thread.x', 'n', 'inner')}
let s = 0.0;
for (let j = 0; j < n; j++) {
  s += x[base + j * inner];
}
return s;`,
);

function perElement(name: string, params: ReadonlyArray<readonly [string, 'Array']>, expr: string) {
  return deviceKernel(
    name,
    [...params, ['n', 'Integer'], ['inner', 'Integer']],
    `
const idx = this.thread.x;
${elementRow('idx', 'n', 'inner')}
return ${expr};`,
  );
}

const SOFTMAX = perElement(
  'softmax_apply',
  [
    ['x', 'Array'],
    ['lse', 'Array'],
  ],
  'Math.exp(x[idx] - lse[row])',
);
const LOG_SOFTMAX = perElement(
  'logsoftmax_apply',
  [
    ['x', 'Array'],
    ['lse', 'Array'],
  ],
  'x[idx] - lse[row]',
);
const SOFTMAX_GRAD = perElement(
  'softmaxgrad_apply',
  [
    ['dy', 'Array'],
    ['y', 'Array'],
    ['dot', 'Array'],
  ],
  'y[idx] * (dy[idx] - dot[row])',
);
const LOG_SOFTMAX_GRAD = perElement(
  'logsoftmaxgrad_apply',
  [
    ['dy', 'Array'],
    ['y', 'Array'],
    ['total', 'Array'],
  ],
  'dy[idx] - Math.exp(y[idx]) * total[row]',
);

/** A per-row statistic as a temporary [outer * inner] storage; the caller releases it after its last use is enqueued. */
function rowStatistic(be: GpujsBackend, kernel: typeof ROW_SUM, args: () => unknown[], rows: number): TensorInfo {
  const stat = be.output([rows]);
  be.launch(kernel, stat, args);
  return stat;
}

const softmaxKernel = implement(softmax, 'gpujs', ({ inputs, attrs, backend }) =>
  rowwise('softmax', inputs, attrs, backend, SOFTMAX),
);
const logSoftmaxKernel = implement(logSoftmax, 'gpujs', ({ inputs, attrs, backend }) =>
  rowwise('logSoftmax', inputs, attrs, backend, LOG_SOFTMAX),
);

function rowwise(
  name: string,
  inputs: readonly TensorInfo[],
  attrs: { axis: number },
  backend: Backend,
  apply: typeof SOFTMAX,
): TensorInfo {
  assertInputCount(name, inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const axis = normalizeAxis(name, attrs.axis, x.shape.length);
  const { outer, n, inner } = splitAtAxis(x.shape, axis);
  const out = be.output(x.shape);
  const lse = rowStatistic(be, ROW_LOG_SUM_EXP, () => [be.floats(x), n, inner], outer * inner);
  be.launch(apply, out, () => [be.floats(x), be.floats(lse), n, inner]);
  be.release(lse.storage);
  return out;
}

const logSumExpKernel = implement(logSumExp, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('logSumExp', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const axis = normalizeAxis('logSumExp', attrs.axis, x.shape.length);
  const { n, inner } = splitAtAxis(x.shape, axis);
  const shape =
    attrs.keepDims === true ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  const out = be.output(shape);
  be.launch(ROW_LOG_SUM_EXP, out, () => [be.floats(x), n, inner]);
  return out;
});

function gradKernel(contract: typeof softmaxGrad | typeof logSoftmaxGrad, apply: typeof SOFTMAX_GRAD) {
  const name = contract.name;
  return implement(contract, 'gpujs', ({ inputs, attrs, backend }) => {
    assertInputCount(name, inputs, 2);
    const be = backend as GpujsBackend;
    const [dy, y] = inputs;
    assertSameShape(name, ['dy', 'y'], [dy.shape, y.shape]);
    const axis = normalizeAxis(name, attrs.axis, y.shape.length);
    const { outer, n, inner } = splitAtAxis(y.shape, axis);
    const out = be.output(y.shape);
    const stat =
      name === 'softmaxGrad'
        ? rowStatistic(be, ROW_DOT, () => [be.floats(dy), be.floats(y), n, inner], outer * inner)
        : rowStatistic(be, ROW_SUM, () => [be.floats(dy), n, inner], outer * inner);
    be.launch(apply, out, () => [be.floats(dy), be.floats(y), be.floats(stat), n, inner]);
    be.release(stat.storage);
    return out;
  });
}

/** The gpujs implementations of this folder's kernels. */
export const implementations = [
  softmaxKernel,
  logSoftmaxKernel,
  logSumExpKernel,
  gradKernel(softmaxGrad, SOFTMAX_GRAD),
  gradKernel(logSoftmaxGrad, LOG_SOFTMAX_GRAD),
];

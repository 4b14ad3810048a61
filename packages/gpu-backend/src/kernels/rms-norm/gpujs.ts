import { implement } from '../../registry.js';
import { rmsNorm, rmsNormGrad } from './contract.js';
import { rmsNormDims } from './math.js';
import type { TensorInfo } from '../../backend.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { divFloor } from '../../gpujs/index-math.js';

/** 1 / sqrt(mean(x^2) + eps) per row of D elements (one thread per row). */
const ROW_RMS_INV = deviceKernel(
  'rmsnorm_rinv',
  [
    ['x', 'Array'],
    ['d', 'Integer'],
    ['eps', 'Float'],
  ],
  `
const base = this.thread.x * d;
let s = 0.0;
for (let j = 0; j < d; j++) {
  const v = x[base + j];
  s += v * v;
}
return 1.0 / Math.sqrt(s / d + eps);`,
);

const RMS_NORM_APPLY = deviceKernel(
  'rmsnorm_apply',
  [
    ['x', 'Array'],
    ['w', 'Array'],
    ['rinv', 'Array'],
    ['d', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('row', 'idx', 'd')}
return x[idx] * rinv[row] * w[idx - row * d];`,
);

/** sum_j dy_j * w_j * x_j per row. */
const ROW_DOT_WEIGHTED = deviceKernel(
  'rmsnorm_rowdot',
  [
    ['dy', 'Array'],
    ['x', 'Array'],
    ['w', 'Array'],
    ['d', 'Integer'],
  ],
  `
const base = this.thread.x * d;
let s = 0.0;
for (let j = 0; j < d; j++) {
  s += dy[base + j] * w[j] * x[base + j];
}
return s;`,
);

/** dx_j = r * dy_j * w_j - x_j * r^3 * dot / D. */
const RMS_NORM_DX = deviceKernel(
  'rmsnorm_dx',
  [
    ['dy', 'Array'],
    ['x', 'Array'],
    ['w', 'Array'],
    ['rinv', 'Array'],
    ['dot', 'Array'],
    ['d', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('row', 'idx', 'd')}
const j = idx - row * d;
const r = rinv[row];
return r * dy[idx] * w[j] - x[idx] * r * r * r * dot[row] / d;`,
);

/** dweight_j = sum over rows of dy_j * x_j * r (one thread per column). */
const RMS_NORM_DW = deviceKernel(
  'rmsnorm_dw',
  [
    ['dy', 'Array'],
    ['x', 'Array'],
    ['rinv', 'Array'],
    ['rows', 'Integer'],
    ['d', 'Integer'],
  ],
  `
const j = this.thread.x;
let s = 0.0;
for (let row = 0; row < rows; row++) {
  s += dy[row * d + j] * x[row * d + j] * rinv[row];
}
return s;`,
);

function rmsInverse(be: GpujsBackend, x: TensorInfo, rows: number, d: number, eps: number): TensorInfo {
  const rinv = be.output([rows]);
  be.launch(ROW_RMS_INV, rinv, () => [be.floats(x), d, eps]);
  return rinv;
}

const rmsNormKernel = implement(rmsNorm, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNorm', inputs, 2);
  const be = backend as GpujsBackend;
  const [x, weight] = inputs;
  const { rows, d } = rmsNormDims('rmsNorm', x, weight, attrs);
  const out = be.output(x.shape);
  rmsNormInto(be, x, weight, out, rows, d, attrs.eps);
  return out;
});

/** rmsNorm of x's `rows` rows of `d` into `out` (the rmsNorm kernel's work; addRmsNorm runs it on its sum). */
export function rmsNormInto(
  be: GpujsBackend,
  x: TensorInfo,
  weight: TensorInfo,
  out: TensorInfo,
  rows: number,
  d: number,
  eps: number,
): void {
  const rinv = rmsInverse(be, x, rows, d, eps);
  be.launch(RMS_NORM_APPLY, out, () => [be.floats(x), be.floats(weight), be.floats(rinv), d]);
  be.release(rinv.storage);
}

const rmsNormGradKernel = implement(rmsNormGrad, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormGrad', inputs, 3);
  const be = backend as GpujsBackend;
  const [dy, x, weight] = inputs;
  const { rows, d } = rmsNormDims('rmsNormGrad', x, weight, attrs);
  if (dy.shape.length !== x.shape.length || dy.shape.some((v, i) => v !== x.shape[i])) {
    throw kernelError('rmsNormGrad', `dy ${fmt(dy.shape)} and x ${fmt(x.shape)} must have the same shape`);
  }
  const dx = be.output(x.shape);
  const dw = be.output([d]);
  const rinv = rmsInverse(be, x, rows, d, attrs.eps);
  const dot = be.output([rows]);
  be.launch(ROW_DOT_WEIGHTED, dot, () => [be.floats(dy), be.floats(x), be.floats(weight), d]);
  be.launch(RMS_NORM_DX, dx, () => [
    be.floats(dy),
    be.floats(x),
    be.floats(weight),
    be.floats(rinv),
    be.floats(dot),
    d,
  ]);
  be.launch(RMS_NORM_DW, dw, () => [be.floats(dy), be.floats(x), be.floats(rinv), rows, d]);
  be.release(rinv.storage);
  be.release(dot.storage);
  return [dx, dw];
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [rmsNormKernel, rmsNormGradKernel];

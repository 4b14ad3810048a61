import { implement } from '../../registry.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { divFloor } from '../../gpujs/index-math.js';
import { ropeInverseFrequencies } from '../rope/math.js';
import { rmsNormRope, rmsNormRopeGrad } from './contract.js';
import { rmsNormRopeDims } from './math.js';

/**
 * The rotation of pair i at position `pos`: `c` and `s`, the angle rounded
 * to float32 and reduced to [-pi, pi] before cos/sin as the rope kernel does.
 */
const ANGLE = `
const angle = Math.fround(pos * invFreq[i]);
const turns = Math.floor(angle * 0.15915494309189535 + 0.5);
const reduced = (angle - turns * 6.28125) - turns * 0.0019353071795864769;
const c = Math.cos(reduced);
const s = Math.sin(reduced);`;

/** 1 / sqrt(mean(x^2) + eps) per head vector of x [B, T, H, D] (one thread per vector). */
const ROW_RMS_INV = deviceKernel(
  'rmsnormrope_rinv',
  [
    ['x', 'Array'],
    ['d', 'Integer'],
    ['eps', 'Float'],
  ],
  `
const base = this.thread.x * d;
let ss = 0.0;
for (let j = 0; j < d; j++) {
  const v = x[base + j];
  ss += v * v;
}
return 1.0 / Math.sqrt(ss / d + eps);`,
);

/** Element (b, h, t, j) of y: the pair of x[b, t, h] normalised, scaled and rotated. */
const APPLY = deviceKernel(
  'rmsnormrope_apply',
  [
    ['x', 'Array'],
    ['w', 'Array'],
    ['rinv', 'Array'],
    ['positions', 'Array'],
    ['invFreq', 'Array'],
    ['h', 'Integer'],
    ['t', 'Integer'],
    ['d', 'Integer'],
  ],
  `
const idx = this.thread.x;
const half = d / 2;
${divFloor('vector', 'idx', 'd')}
const j = idx - vector * d;
${divFloor('bh', 'vector', 't')}
const ti = vector - bh * t;
${divFloor('bi', 'bh', 'h')}
const hi = bh - bi * h;
const row = (bi * t + ti) * h + hi;
const pos = positions[bi * t + ti];
let i = j;
if (j >= half) {
  i = j - half;
}
${ANGLE}
const r = rinv[row];
const n1 = x[row * d + i] * r * w[i];
const n2 = x[row * d + i + half] * r * w[i + half];
if (j < half) {
  return n1 * c - n2 * s;
}
return n2 * c + n1 * s;`,
);

/** The rotated-back gradient g of element (row, j), dy read at [b, h, t]. */
const GRAD_OF = `
${divFloor('bt', 'row', 'h')}
const hi = row - bt * h;
${divFloor('bi', 'bt', 't')}
const ti = bt - bi * t;
const pos = positions[bi * t + ti];
const src = ((bi * h + hi) * t + ti) * d;`;

/** sum over the vector of g w x, g = dy rotated back (one thread per head vector). */
const ROW_DOT = deviceKernel(
  'rmsnormrope_dot',
  [
    ['dy', 'Array'],
    ['x', 'Array'],
    ['w', 'Array'],
    ['positions', 'Array'],
    ['invFreq', 'Array'],
    ['h', 'Integer'],
    ['t', 'Integer'],
    ['d', 'Integer'],
  ],
  `
const row = this.thread.x;
const half = d / 2;
${GRAD_OF}
let dot = 0.0;
for (let i = 0; i < half; i++) {
  ${ANGLE}
  const y1 = dy[src + i];
  const y2 = dy[src + i + half];
  dot += (y1 * c + y2 * s) * w[i] * x[row * d + i] + (y2 * c - y1 * s) * w[i + half] * x[row * d + i + half];
}
return dot;`,
);

/** dx = r g w - x r^3 dot / D, element (b, t, h, j) of x's layout. */
const DX = deviceKernel(
  'rmsnormrope_dx',
  [
    ['dy', 'Array'],
    ['x', 'Array'],
    ['w', 'Array'],
    ['rinv', 'Array'],
    ['dot', 'Array'],
    ['positions', 'Array'],
    ['invFreq', 'Array'],
    ['h', 'Integer'],
    ['t', 'Integer'],
    ['d', 'Integer'],
  ],
  `
const idx = this.thread.x;
const half = d / 2;
${divFloor('row', 'idx', 'd')}
const j = idx - row * d;
${GRAD_OF}
let i = j;
if (j >= half) {
  i = j - half;
}
${ANGLE}
const y1 = dy[src + i];
const y2 = dy[src + i + half];
let g = y2 * c - y1 * s;
if (j < half) {
  g = y1 * c + y2 * s;
}
const r = rinv[row];
return r * g * w[j] - x[idx] * r * r * r * dot[row] / d;`,
);

/** dweight_j = sum over head vectors of g_j x_j r (one thread per column). */
const DW = deviceKernel(
  'rmsnormrope_dw',
  [
    ['dy', 'Array'],
    ['x', 'Array'],
    ['rinv', 'Array'],
    ['positions', 'Array'],
    ['invFreq', 'Array'],
    ['rows', 'Integer'],
    ['h', 'Integer'],
    ['t', 'Integer'],
    ['d', 'Integer'],
  ],
  `
const j = this.thread.x;
const half = d / 2;
let i = j;
if (j >= half) {
  i = j - half;
}
let acc = 0.0;
for (let row = 0; row < rows; row++) {
  ${GRAD_OF}
  ${ANGLE}
  const y1 = dy[src + i];
  const y2 = dy[src + i + half];
  let g = y2 * c - y1 * s;
  if (j < half) {
    g = y1 * c + y2 * s;
  }
  acc += g * x[row * d + j] * rinv[row];
}
return acc;`,
);

const rmsNormRopeKernel = implement(rmsNormRope, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormRope', inputs, 3);
  const be = backend as GpujsBackend;
  const [x, w, positions] = inputs;
  const { b, t, h, d } = rmsNormRopeDims('rmsNormRope', x, w, positions, attrs);
  const out = be.output([b, h, t, d]);
  const invFreq = ropeInverseFrequencies(attrs.theta, d);
  const rinv = be.output([b * t * h]);
  be.launch(ROW_RMS_INV, rinv, () => [be.floats(x), d, attrs.eps]);
  be.launch(APPLY, out, () => [be.floats(x), be.floats(w), be.floats(rinv), be.floats(positions), invFreq, h, t, d]);
  be.release(rinv.storage);
  return out;
});

const rmsNormRopeGradKernel = implement(rmsNormRopeGrad, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormRopeGrad', inputs, 4);
  const be = backend as GpujsBackend;
  const [dy, x, w, positions] = inputs;
  const { b, t, h, d } = rmsNormRopeDims('rmsNormRopeGrad', x, w, positions, attrs, dy);
  const rows = b * t * h;
  const dx = be.output(x.shape);
  const dw = be.output([d]);
  const invFreq = ropeInverseFrequencies(attrs.theta, d);
  const rinv = be.output([rows]);
  const dot = be.output([rows]);
  const pos = () => be.floats(positions);
  be.launch(ROW_RMS_INV, rinv, () => [be.floats(x), d, attrs.eps]);
  be.launch(ROW_DOT, dot, () => [be.floats(dy), be.floats(x), be.floats(w), pos(), invFreq, h, t, d]);
  be.launch(DX, dx, () => [
    be.floats(dy),
    be.floats(x),
    be.floats(w),
    be.floats(rinv),
    be.floats(dot),
    pos(),
    invFreq,
    h,
    t,
    d,
  ]);
  be.launch(DW, dw, () => [be.floats(dy), be.floats(x), be.floats(rinv), pos(), invFreq, rows, h, t, d]);
  be.release(rinv.storage);
  be.release(dot.storage);
  return [dx, dw];
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [rmsNormRopeKernel, rmsNormRopeGradKernel];

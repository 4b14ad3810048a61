import { implement } from '../../registry.js';
import { rope } from './contract.js';
import { ropeInverseFrequencies } from './math.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { divFloor } from '../../gpujs/index-math.js';

/**
 * Rotary embedding, rotate-half convention, one thread per element: element
 * i < D/2 pairs with i + D/2. inv_freq comes from the host in float32 as
 * transformers computes it, and the angle is rounded to float32 like the
 * reference, so long positions agree. The angle is reduced to [-pi, pi]
 * before sin/cos (Cody-Waite: 2 pi = 6.28125 + 0.00193..., the first part
 * exact in a product with the turn count): GPU sin/cos lose accuracy on
 * large arguments (off by 1.4e-4 at 2048 rad on an H200 without this).
 */
const ROPE = deviceKernel(
  'rope',
  [
    ['x', 'Array'],
    ['positions', 'Array'],
    ['invFreq', 'Array'],
    ['h', 'Integer'],
    ['t', 'Integer'],
    ['d', 'Integer'],
    ['sign', 'Float'],
  ],
  `
const idx = this.thread.x;
const half = d / 2;
${divFloor('vector', 'idx', 'd')}
const j = idx - vector * d;
${divFloor('bh', 'vector', 't')}
const ti = vector - bh * t;
${divFloor('bi', 'bh', 'h')}
const pos = positions[bi * t + ti];
let i = j;
if (j >= half) {
  i = j - half;
}
const angle = Math.fround(pos * invFreq[i]);
const turns = Math.floor(angle * 0.15915494309189535 + 0.5);
const reduced = (angle - turns * 6.28125) - turns * 0.0019353071795864769;
const c = Math.cos(reduced);
const s = sign * Math.sin(reduced);
if (j < half) {
  return x[idx] * c - x[idx + half] * s;
}
return x[idx] * c + x[idx - half] * s;`,
);

const ropeKernel = implement(rope, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('rope', inputs, 2);
  const be = backend as GpujsBackend;
  const [x, positions] = inputs;
  if (x.shape.length !== 4) throw kernelError('rope', `x must be [B, H, T, D], got ${fmt(x.shape)}`);
  const [b, h, t, d] = x.shape;
  if (d % 2 !== 0) throw kernelError('rope', `head dim D=${d} of x ${fmt(x.shape)} must be even`);
  if (positions.shape.length !== 2 || positions.shape[0] !== b || positions.shape[1] !== t) {
    throw kernelError('rope', `positions ${fmt(positions.shape)} must be [${b}, ${t}] for x ${fmt(x.shape)}`);
  }
  if (positions.storage.dtype !== 'int32')
    throw kernelError('rope', `positions must be int32, got ${positions.storage.dtype}`);
  if (typeof attrs.theta !== 'number' || !(attrs.theta > 0))
    throw kernelError('rope', `attrs.theta must be a positive number, got ${String(attrs.theta)}`);
  const out = be.output(x.shape);
  const invFreq = ropeInverseFrequencies(attrs.theta, d);
  const sign = attrs.inverse === true ? -1 : 1;
  be.launch(ROPE, out, () => [be.floats(x), be.floats(positions), invFreq, h, t, d, sign]);
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [ropeKernel];

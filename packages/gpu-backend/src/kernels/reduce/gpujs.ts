import { implement } from '../../registry.js';
import { contracts } from './contract.js';
import { assertReducible } from './empty-axis.js';
import { assertInputCount, normalizeAxes, reducedShape, stridesOf } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { divFloor, intAt, splitParams, splitTable } from '../../gpujs/index-math.js';

/** Decode the output index into the kept dims' input offset `base`, then walk the reduced dims. */
const PROLOGUE = `
let rem = this.thread.x;
let base = 0;
for (let d = 0; d < keptRank; d++) {
  const s = ${intAt('strides', 'd')};
  ${divFloor('q', 'rem', 's')}
  rem = rem - q * s;
  base = base + q * ${intAt('strides', 'keptRank + d')};
}`;

const OFFSET = `
let off = 0;
if (redRank == 1) {
  off = r * redStride0;
} else {
  let rr = r;
  for (let e = 0; e < redRank; e++) {
    const t = ${intAt('strides', '2 * keptRank + e')};
    ${divFloor('p', 'rr', 't')}
    rr = rr - p * t;
    off = off + p * ${intAt('strides', '2 * keptRank + redRank + e')};
  }
}`;

const PARAMS = [
  ['x', 'Array'],
  /** kept dims' output then input strides, reduced dims' output then input strides */
  ...splitParams('strides'),
  ['keptRank', 'Integer'],
  ['redRank', 'Integer'],
  ['redStride0', 'Integer'],
  ['redCount', 'Integer'],
  ['divisor', 'Float'],
] as const;

/** Compensated (Kahan) summation: the f32 accumulators of webgpu otherwise drift on long reductions. */
const SUM = deviceKernel(
  'reduce_sum',
  PARAMS,
  `${PROLOGUE}
let acc = 0.0;
let comp = 0.0;
for (let r = 0; r < redCount; r++) {
  ${OFFSET}
  const v = x[base + off] - comp;
  const t2 = acc + v;
  comp = (t2 - acc) - v;
  acc = t2;
}
return acc / divisor;`,
);

const MAX = deviceKernel(
  'reduce_max',
  PARAMS,
  `${PROLOGUE}
let acc = -Infinity;
for (let r = 0; r < redCount; r++) {
  ${OFFSET}
  const v = x[base + off];
  if (v > acc || v != v) {
    acc = v;
  }
}
return acc;`,
);

/** Adjacent dims of the same kind (kept / reduced) merge; size-1 dims drop out. */
function collapse(shape: readonly number[], axes: readonly number[]) {
  const strides = stridesOf(shape);
  const kept: { size: number; stride: number }[] = [];
  const reduced: { size: number; stride: number }[] = [];
  let previous: 'kept' | 'reduced' | null = null;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const kind = axes.includes(i) ? 'reduced' : 'kept';
    const list = kind === 'kept' ? kept : reduced;
    const last = list[list.length - 1];
    if (previous === kind && last && last.stride === shape[i] * strides[i]) {
      last.size *= shape[i];
      last.stride = strides[i];
    } else list.push({ size: shape[i], stride: strides[i] });
    previous = kind;
  }
  return { kept, reduced };
}

/** The gpujs implementations of this folder's kernels. */
export const implementations = contracts.map((contract) => {
  const op = contract.name;
  return implement(contract, 'gpujs', ({ inputs, attrs, backend }) => {
    assertInputCount(op, inputs, 1);
    const be = backend as GpujsBackend;
    const [x] = inputs;
    const axes = normalizeAxes(op, attrs.axes, x.shape.length);
    assertReducible(op, x.shape, axes);
    const out = be.output(reducedShape(x.shape, axes, attrs.keepDims === true));
    const redCount = axes.reduce((n, a) => n * x.shape[a], 1);
    if (redCount === 0) {
      const value = op === 'sum' ? 0 : NaN;
      be.host(() => be.store(out, new Float32Array(be.storageOf(out).size).fill(value)));
      return out;
    }
    const { kept, reduced } = collapse(x.shape, axes);
    const keptOutStrides = stridesOf(kept.map((d) => d.size));
    const redOutStrides = stridesOf(reduced.map((d) => d.size));
    const tables = [
      ...splitTable([
        ...keptOutStrides,
        ...kept.map((d) => d.stride),
        ...redOutStrides,
        ...reduced.map((d) => d.stride),
      ]),
      kept.length,
      reduced.length,
      reduced.length > 0 ? reduced[0].stride : 0,
      redCount,
      op === 'mean' ? redCount : 1,
    ];
    be.launch(op === 'max' ? MAX : SUM, out, () => [be.floats(x), ...tables]);
    return out;
  });
});

import { implement } from '../../registry.js';
import { matmul } from './contract.js';
import type { TensorInfo } from '../../backend.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { matmulShape, sizeOf, stridesOf } from '../../shape.js';
import { divFloor, intAt, splitParams, splitTable } from '../../gpujs/index-math.js';

/**
 * One thread per output element, a dot product over K. Transposes are strides,
 * batch broadcasting is a per-batch offset table computed on the host.
 */
const MATMUL = deviceKernel(
  'matmul',
  [
    ['a', 'Array'],
    ['b', 'Array'],
    /** per output batch: a's matrix offset, then b's */
    ...splitParams('offsets'),
    ['batches', 'Integer'],
    ['n', 'Integer'],
    ['k', 'Integer'],
    ['mn', 'Integer'],
    ['aRowStride', 'Integer'],
    ['aInnerStride', 'Integer'],
    ['bInnerStride', 'Integer'],
    ['bColStride', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('batch', 'idx', 'mn')}
const rem = idx - batch * mn;
${divFloor('i', 'rem', 'n')}
const j = rem - i * n;
const aBase = ${intAt('offsets', 'batch')} + i * aRowStride;
const bBase = ${intAt('offsets', 'batches + batch')} + j * bColStride;
let sum = 0.0;
for (let p = 0; p < k; p++) {
  sum += a[aBase + p * aInnerStride] * b[bBase + p * bInnerStride];
}
return sum;
`,
);

/**
 * The same product with each thread computing four adjacent columns (1 x 4
 * register blocking): one load of a feeds four multiply-adds. About 4x the
 * one-column kernel on every mode here; used whenever N is a multiple of 4.
 */
const MATMUL_4 = deviceKernel(
  'matmul_4',
  [
    ['a', 'Array'],
    ['b', 'Array'],
    /** per output batch: a's matrix offset, then b's */
    ...splitParams('offsets'),
    ['batches', 'Integer'],
    ['n', 'Integer'],
    ['k', 'Integer'],
    ['mn', 'Integer'],
    ['aRowStride', 'Integer'],
    ['aInnerStride', 'Integer'],
    ['bInnerStride', 'Integer'],
    ['bColStride', 'Integer'],
  ],
  `
const idx = this.thread.x;
const n4 = n / 4;
const mn4 = mn / 4;
${divFloor('batch', 'idx', 'mn4')}
const rem = idx - batch * mn4;
${divFloor('i', 'rem', 'n4')}
const j = (rem - i * n4) * 4;
const aBase = ${intAt('offsets', 'batch')} + i * aRowStride;
const bBase = ${intAt('offsets', 'batches + batch')} + j * bColStride;
let s0 = 0.0;
let s1 = 0.0;
let s2 = 0.0;
let s3 = 0.0;
for (let p = 0; p < k; p++) {
  const av = a[aBase + p * aInnerStride];
  const bp = bBase + p * bInnerStride;
  s0 += av * b[bp];
  s1 += av * b[bp + bColStride];
  s2 += av * b[bp + 2 * bColStride];
  s3 += av * b[bp + 3 * bColStride];
}
return [s0, s1, s2, s3];
`,
  4,
);

export const matmulKernel = implement(matmul, 'gpujs', ({ inputs, attrs, backend }) => {
  const be = backend as GpujsBackend;
  const [a, b] = inputs as [TensorInfo, TensorInfo];
  const transposeA = attrs.transposeA === true;
  const transposeB = attrs.transposeB === true;
  const { batchShape: batch, m, n, k: ka, outShape } = matmulShape(a.shape, b.shape, transposeA, transposeB);
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const out = be.output(outShape);
  const batches = sizeOf(batch);
  const offsets = splitTable([...batchOffsets(batchA, batch, m * ka), ...batchOffsets(batchB, batch, ka * n)]);
  be.launch(n % 4 === 0 ? MATMUL_4 : MATMUL, out, () => [
    be.floats(a),
    be.floats(b),
    ...offsets,
    batches,
    n,
    ka,
    m * n,
    transposeA ? 1 : ka,
    transposeA ? m : 1,
    transposeB ? 1 : n,
    transposeB ? ka : 1,
  ]);
  return out;
});

/** Element offset of each output batch's matrix inside an operand with batch dims `own` broadcast to `out`. */
function batchOffsets(own: readonly number[], out: readonly number[], matrixSize: number): number[] {
  const count = sizeOf(out);
  const offsets = new Array<number>(count);
  const outStrides = stridesOf(out);
  const ownStrides = stridesOf(own);
  for (let bi = 0; bi < count; bi++) {
    let rem = bi;
    let off = 0;
    for (let d = 0; d < out.length; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      const od = d - (out.length - own.length);
      if (od >= 0 && own[od] !== 1) off += c * ownStrides[od];
    }
    offsets[bi] = off * matrixSize;
  }
  return offsets;
}

/** The gpujs implementations of this folder's kernels. */
export const implementations = [matmulKernel];

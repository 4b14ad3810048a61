import type { TensorInfo } from '../backend.js';
import { stridesOf } from '../shape.js';
import type { GpujsBackend } from './backend.js';
import { deviceKernel } from './device-kernel.js';
import { divFloor, intAt, splitParams, splitTable } from './index-math.js';

/**
 * Strided copies: the data movement of transpose, slice and sliceGrad. Float
 * storages move on the device (f32 carries float16/bfloat16 exactly); int32
 * storages move on the host, because gpu.js arrays are f32 and would round
 * integers above 2^24.
 */

/** out[idx] = x[offset + sum_d c_d * inStrides[d]] with c the output coordinates of idx. */
const GATHER = deviceKernel(
  'strided_gather',
  [
    ['x', 'Array'],
    /** output strides, then input strides */
    ...splitParams('strides'),
    ['rank', 'Integer'],
    ['offset', 'Integer'],
  ],
  `
let rem = this.thread.x;
let src = offset;
for (let d = 0; d < rank; d++) {
  const s = ${intAt('strides', 'd')};
  ${divFloor('q', 'rem', 's')}
  rem = rem - q * s;
  src = src + q * ${intAt('strides', 'rank + d')};
}
return x[src];`,
);

/** out = zeros(outShape) with x (of shape inShape) placed at begin. */
const PAD = deviceKernel(
  'strided_pad',
  [
    ['x', 'Array'],
    /** output strides, input strides, begin, input shape */
    ...splitParams('layout'),
    ['rank', 'Integer'],
  ],
  `
let rem = this.thread.x;
let src = 0;
let inside = 1;
for (let d = 0; d < rank; d++) {
  const s = ${intAt('layout', 'd')};
  ${divFloor('q', 'rem', 's')}
  rem = rem - q * s;
  const c = q - ${intAt('layout', '2 * rank + d')};
  if (c < 0 || c >= ${intAt('layout', '3 * rank + d')}) {
    inside = 0;
  }
  src = src + c * ${intAt('layout', 'rank + d')};
}
if (inside == 0) {
  return 0.0;
}
return x[src];`,
);

/** Copy x viewed through (inStrides, offset) into `out`, whose shape gives the output coordinates. */
export function stridedGather(
  be: GpujsBackend,
  x: TensorInfo,
  out: TensorInfo,
  inStrides: readonly number[],
  offset: number,
): void {
  const outShape = out.shape;
  if (x.storage.dtype === 'int32') {
    be.host(() => {
      const src = be.ints(x);
      const dst = new Int32Array(be.storageOf(out).size);
      forEachCoordinate(outShape, (i, coords) => {
        let p = offset;
        for (let d = 0; d < coords.length; d++) p += coords[d] * inStrides[d];
        dst[i] = src[p];
      });
      be.store(out, dst);
    });
    return;
  }
  const tables = [...splitTable([...stridesOf(outShape), ...inStrides]), outShape.length, offset];
  be.launch(GATHER, out, () => [be.floats(x), ...tables]);
}

/** zeros(out.shape) with x placed at begin. */
export function stridedPad(be: GpujsBackend, x: TensorInfo, out: TensorInfo, begin: readonly number[]): void {
  const outShape = out.shape;
  const inStrides = stridesOf(x.shape);
  if (x.storage.dtype === 'int32') {
    be.host(() => {
      const src = be.ints(x);
      const dst = new Int32Array(be.storageOf(out).size);
      const outStrides = stridesOf(outShape);
      forEachCoordinate(x.shape, (i, coords) => {
        let p = 0;
        for (let d = 0; d < coords.length; d++) p += (coords[d] + begin[d]) * outStrides[d];
        dst[p] = src[i];
      });
      be.store(out, dst);
    });
    return;
  }
  const tables = [...splitTable([...stridesOf(outShape), ...inStrides, ...begin, ...x.shape]), outShape.length];
  be.launch(PAD, out, () => [be.floats(x), ...tables]);
}

function forEachCoordinate(shape: readonly number[], visit: (index: number, coords: number[]) => void): void {
  const total = shape.reduce((a, b) => a * b, 1);
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < total; i++) {
    visit(i, coords);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coords[d] < shape[d]) break;
      coords[d] = 0;
    }
  }
}

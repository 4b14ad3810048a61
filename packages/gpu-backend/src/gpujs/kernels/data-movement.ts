import type { KernelFunc } from '../../backend.js';
import { DTYPES } from '../../dtype.js';
import { allocHostArray } from '../../host-array.js';
import { concatLayout, type ConcatAttrs } from '../../kernel-math/concat.js';
import { assertInputCount, assertShape, kernelError } from '../../shape.js';
import type { CastAttrs, FillAttrs } from '../../kernel-attrs.js';
import type { GpujsBackend } from '../backend.js';
import { fromFloat32, storedValue } from './host-data.js';

/**
 * concat, copy, cast and fill move or convert bytes and compute nothing, so
 * they run on the host, where gpujs storages live: a device round trip would
 * only add an upload and a readback (and round int32 above 2^24).
 */

export const concat: KernelFunc<ConcatAttrs> = ({ inputs, attrs, backend }) => {
  const be = backend as GpujsBackend;
  const { axis, total, outShape, outer, inner } = concatLayout(inputs, attrs);
  const dtype = inputs[0].storage.dtype;
  const out = be.output(outShape, dtype);
  be.host(() => {
    const dst = allocHostArray(be.storageOf(out).size, dtype);
    const outRow = total * inner;
    let column = 0;
    for (const info of inputs) {
      const src = be.storageOf(info).data;
      const run = info.shape[axis] * inner;
      for (let o = 0; o < outer && run > 0; o++)
        dst.set(src.subarray(o * run, o * run + run) as never, o * outRow + column);
      column += run;
    }
    be.storageOf(out).data = dst;
  });
  return out;
};

export const copy: KernelFunc = ({ inputs, backend }) => {
  assertInputCount('copy', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const out = be.output(x.shape, x.storage.dtype);
  be.host(() => {
    be.storageOf(out).data = be.storageOf(x).data.slice();
  });
  return out;
};

/** float32 <-> float16/bfloat16 round to nearest even; float -> int32 truncates toward zero (saturating, NaN -> 0). */
export const cast: KernelFunc<CastAttrs> = ({ inputs, attrs, backend }) => {
  assertInputCount('cast', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const to = attrs.dtype;
  if (!DTYPES.includes(to))
    throw kernelError('cast', `attrs.dtype must be one of ${DTYPES.join(', ')}, got '${String(to)}'`);
  const from = x.storage.dtype;
  const out = be.output(x.shape, to);
  be.host(() => {
    const src = be.storageOf(x);
    be.storageOf(out).data =
      from === to
        ? src.data.slice()
        : from === 'int32' && to === 'float32'
          ? Float32Array.from(src.data)
          : fromFloat32(be.floats(x), to);
  });
  return out;
};

export const fill: KernelFunc<FillAttrs> = ({ inputs, attrs, backend }) => {
  assertInputCount('fill', inputs, 0);
  const be = backend as GpujsBackend;
  const dtype = attrs.dtype ?? 'float32';
  if (!DTYPES.includes(dtype))
    throw kernelError('fill', `attrs.dtype must be one of ${DTYPES.join(', ')}, got '${String(dtype)}'`);
  if (!Array.isArray(attrs.shape))
    throw kernelError('fill', `attrs.shape must be an array, got ${String(attrs.shape)}`);
  assertShape('fill', 'shape', attrs.shape);
  if (typeof attrs.value !== 'number')
    throw kernelError('fill', `attrs.value must be a number, got ${String(attrs.value)}`);
  const out = be.output(attrs.shape, dtype);
  const stored = storedValue(attrs.value, dtype);
  be.host(() => {
    be.storageOf(out).data = allocHostArray(be.storageOf(out).size, dtype).fill(stored);
  });
  return out;
};

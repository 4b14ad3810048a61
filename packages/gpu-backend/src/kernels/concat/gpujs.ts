import { implement } from '../../registry.js';
import { concat } from './contract.js';
import { allocHostArray } from '../../host-array.js';
import { concatLayout } from './math.js';
import type { GpujsBackend } from '../../gpujs/backend.js';

/**
 * concat (like copy, cast and fill) moves or converts bytes and computes
 * nothing, so it runs on the host, where gpujs storages live: a device round
 * trip would only add an upload and a readback (and round int32 above 2^24).
 */
const concatKernel = implement(concat, 'gpujs', ({ inputs, attrs, backend }) => {
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
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [concatKernel];

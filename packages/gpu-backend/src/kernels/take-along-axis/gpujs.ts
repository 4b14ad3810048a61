import { implement } from '../../registry.js';
import { putAlongAxis, takeAlongAxis } from './contract.js';
import { assertInputCount, fmt, kernelError, sameShape } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { checkIndices, checkInt32 } from '../../gpujs/index-checks.js';
import { divFloor } from '../../gpujs/index-math.js';

/** out[r] = x[r, indices[r]]. */
const TAKE_ALONG_AXIS = deviceKernel(
  'take_along_axis',
  [
    ['x', 'Array'],
    ['indices', 'Array'],
    ['v', 'Integer'],
  ],
  `
const r = this.thread.x;
return x[r * v + Math.floor(indices[r])];`,
);

const takeAlongAxisKernel = implement(takeAlongAxis, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('takeAlongAxis', inputs, 2);
  const be = backend as GpujsBackend;
  const [x, indices] = inputs;
  const lead = x.shape.slice(0, -1);
  if (x.shape.length < 1 || indices.shape.length !== lead.length || lead.some((d, i) => d !== indices.shape[i])) {
    throw kernelError('takeAlongAxis', `indices ${fmt(indices.shape)} must be x ${fmt(x.shape)} without its last axis`);
  }
  checkInt32('takeAlongAxis', indices);
  const v = x.shape[x.shape.length - 1];
  const out = be.output(indices.shape, x.storage.dtype);
  be.launch(TAKE_ALONG_AXIS, out, () => {
    const ids = be.ints(indices);
    checkIndices('takeAlongAxis', ids, v, `an axis of ${v}`);
    return [be.floats(x), ids, v];
  });
  return out;
});

/** out[r, j] = updates[r] where j = indices[r], else 0. */
const PUT_ALONG_AXIS = deviceKernel(
  'put_along_axis',
  [
    ['updates', 'Array'],
    ['indices', 'Array'],
    ['size', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('r', 'idx', 'size')}
if (Math.floor(indices[r]) == idx - r * size) {
  return updates[r];
}
return 0.0;`,
);

const putAlongAxisKernel = implement(putAlongAxis, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('putAlongAxis', inputs, 2);
  const be = backend as GpujsBackend;
  const [updates, indices] = inputs;
  const size = attrs.size;
  if (!Number.isInteger(size) || size < 0)
    throw kernelError('putAlongAxis', `attrs.size must be a non-negative integer, got ${size}`);
  if (!sameShape(updates.shape, indices.shape)) {
    throw kernelError(
      'putAlongAxis',
      `updates ${fmt(updates.shape)} and indices ${fmt(indices.shape)} must have the same shape`,
    );
  }
  checkInt32('putAlongAxis', indices);
  const out = be.output([...indices.shape, size]);
  be.launch(PUT_ALONG_AXIS, out, () => {
    const ids = be.ints(indices);
    checkIndices('putAlongAxis', ids, size, `size ${size}`);
    return [be.floats(updates), ids, size];
  });
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [takeAlongAxisKernel, putAlongAxisKernel];

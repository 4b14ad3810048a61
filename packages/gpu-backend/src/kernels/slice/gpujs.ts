import { implement } from '../../registry.js';
import { slice, sliceGrad } from './contract.js';
import { sliceSize } from './math.js';
import { assertInputCount, kernelError, stridesOf } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { stridedGather, stridedPad } from '../../gpujs/strided.js';

/** x[begin : begin + size] (size -1 = to the end); any dtype. */
const sliceKernel = implement(slice, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('slice', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const size = sliceSize('slice', x.shape, attrs.begin, attrs.size);
  const out = be.output(size, x.storage.dtype);
  const strides = stridesOf(x.shape);
  const offset = attrs.begin.reduce((sum, b, i) => sum + b * strides[i], 0);
  stridedGather(be, x, out, strides, offset);
  return out;
});

/** zeros(inputShape) with dy written at begin: the gradient of slice. */
const sliceGradKernel = implement(sliceGrad, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('sliceGrad', inputs, 1);
  const be = backend as GpujsBackend;
  const [dy] = inputs;
  const inputShape = attrs.inputShape;
  if (!Array.isArray(inputShape))
    throw kernelError('sliceGrad', `attrs.inputShape must be an array, got ${String(inputShape)}`);
  sliceSize('sliceGrad', inputShape, attrs.begin, dy.shape);
  const out = be.output(inputShape, dy.storage.dtype);
  stridedPad(be, dy, out, attrs.begin);
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [sliceKernel, sliceGradKernel];

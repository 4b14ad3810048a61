import { implement } from '../../registry.js';
import { slice, sliceGrad } from './contract.js';
import { sliceSize } from './math.js';
import { assertInputCount, kernelError } from '../../shape.js';
import { copyBlock } from '../../cpu/copy-block.js';
import { output, rawInput } from '../../cpu/host.js';

/** x[begin : begin + size], any dtype. */
const sliceKernel = implement(slice, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('slice', inputs, 1);
  const [xInfo] = inputs;
  const size = sliceSize('slice', xInfo.shape, attrs.begin, attrs.size);
  // The block copied is the whole output: no zero fill first.
  const out = output(backend, size, xInfo.storage.dtype, false);
  copyBlock(
    rawInput(backend, xInfo, 'slice'),
    xInfo.shape,
    attrs.begin,
    out.data,
    size,
    size.map(() => 0),
    size,
  );
  return out.info;
});

/** zeros(inputShape) with dy written at begin: the gradient of slice. */
const sliceGradKernel = implement(sliceGrad, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('sliceGrad', inputs, 1);
  const [dyInfo] = inputs;
  const inputShape = attrs.inputShape;
  if (!Array.isArray(inputShape))
    throw kernelError('sliceGrad', `attrs.inputShape must be an array, got ${String(inputShape)}`);
  sliceSize('sliceGrad', inputShape, attrs.begin, dyInfo.shape);
  const out = output(backend, inputShape, dyInfo.storage.dtype);
  copyBlock(
    rawInput(backend, dyInfo, 'sliceGrad'),
    dyInfo.shape,
    dyInfo.shape.map(() => 0),
    out.data,
    inputShape,
    attrs.begin,
    dyInfo.shape,
  );
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [sliceKernel, sliceGradKernel];

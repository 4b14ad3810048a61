import { implement } from '../../registry.js';
import { putAlongAxis, takeAlongAxis } from './contract.js';
import { assertInputCount, fmt, kernelError, sameShape } from '../../shape.js';
import { floatInput, floatOutput, intInput, output, rawInput } from '../../cpu/host.js';

/** out[r] = x[r, indices[r]] over the last axis of x (the target pick of a loss). */
const takeAlongAxisKernel = implement(takeAlongAxis, 'cpu', ({ inputs, backend }) => {
  assertInputCount('takeAlongAxis', inputs, 2);
  const [xInfo, indexInfo] = inputs;
  const lead = xInfo.shape.slice(0, -1);
  if (
    xInfo.shape.length < 1 ||
    indexInfo.shape.length !== lead.length ||
    lead.some((d, i) => d !== indexInfo.shape[i])
  ) {
    throw kernelError(
      'takeAlongAxis',
      `indices ${fmt(indexInfo.shape)} must be x ${fmt(xInfo.shape)} without its last axis`,
    );
  }
  const v = xInfo.shape[xInfo.shape.length - 1];
  const x = rawInput(backend, xInfo, 'takeAlongAxis');
  const indices = intInput(backend, indexInfo, 'takeAlongAxis', 'indices');
  const out = output(backend, indexInfo.shape, xInfo.storage.dtype);
  for (let r = 0; r < indices.length; r++) {
    const j = indices[r];
    if (j < 0 || j >= v)
      throw kernelError('takeAlongAxis', `index ${j} at position ${r} is out of range for an axis of ${v}`);
    out.data[r] = x[r * v + j];
  }
  return out.info;
});

/** out = zeros [..., size]; out[r, indices[r]] = updates[r] (the gradient of takeAlongAxis). */
const putAlongAxisKernel = implement(putAlongAxis, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('putAlongAxis', inputs, 2);
  const [updInfo, indexInfo] = inputs;
  const size = attrs.size;
  if (!Number.isInteger(size) || size < 0)
    throw kernelError('putAlongAxis', `attrs.size must be a non-negative integer, got ${size}`);
  if (!sameShape(updInfo.shape, indexInfo.shape)) {
    throw kernelError(
      'putAlongAxis',
      `updates ${fmt(updInfo.shape)} and indices ${fmt(indexInfo.shape)} must have the same shape`,
    );
  }
  const out = floatOutput(backend, [...indexInfo.shape, size]);
  const updates = floatInput(backend, updInfo, 'putAlongAxis');
  const indices = intInput(backend, indexInfo, 'putAlongAxis', 'indices');
  for (let r = 0; r < indices.length; r++) {
    const j = indices[r];
    if (j < 0 || j >= size)
      throw kernelError('putAlongAxis', `index ${j} at position ${r} is out of range for size ${size}`);
    out.data[r * size + j] = updates[r];
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [takeAlongAxisKernel, putAlongAxisKernel];

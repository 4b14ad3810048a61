import { DTYPES } from '../../dtype.js';
import { float32ToBfloat16Bits, float32ToFloat16Bits, floatToInt32 } from '../../dtype-convert.js';
import { implement } from '../../registry.js';
import { fill } from './contract.js';
import { assertInputCount, assertShape, kernelError } from '../../shape.js';
import { output } from '../../cpu/host.js';

/** A tensor of `shape` filled with `value` (converted to dtype as cast would). */
const fillKernel = implement(fill, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('fill', inputs, 0);
  const dtype = attrs.dtype ?? 'float32';
  if (!DTYPES.includes(dtype))
    throw kernelError('fill', `attrs.dtype must be one of ${DTYPES.join(', ')}, got '${String(dtype)}'`);
  if (!Array.isArray(attrs.shape))
    throw kernelError('fill', `attrs.shape must be an array, got ${String(attrs.shape)}`);
  assertShape('fill', 'shape', attrs.shape);
  if (typeof attrs.value !== 'number')
    throw kernelError('fill', `attrs.value must be a number, got ${String(attrs.value)}`);
  const out = output(backend, attrs.shape, dtype);
  const v = attrs.value;
  const stored =
    dtype === 'float16'
      ? float32ToFloat16Bits(v)
      : dtype === 'bfloat16'
        ? float32ToBfloat16Bits(v)
        : dtype === 'int32'
          ? floatToInt32(v)
          : v;
  out.data.fill(stored);
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [fillKernel];

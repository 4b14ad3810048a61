import type { KernelArgs } from '../../backend.js';
import { DTYPES } from '../../dtype.js';
import { float32ToBfloat16Bits, float32ToFloat16Bits, floatToInt32 } from '../../dtype-convert.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, assertShape, kernelError } from '../../shape.js';
import type { FillAttrs } from '../../kernel-attrs.js';
import { output } from '../host.js';

/** A tensor of `shape` filled with `value` (converted to dtype as cast would). */
export const fillKernel: KernelConfig = {
  name: 'fill',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<FillAttrs>) => {
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
  },
};

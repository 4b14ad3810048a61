import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, fmt, kernelError, sameShape } from '../../shape.js';
import type { PutAlongAxisAttrs } from '../../kernel-attrs.js';
import { floatInput, floatOutput, intInput } from '../host.js';

/** out = zeros [..., size]; out[r, indices[r]] = updates[r] (the gradient of takeAlongAxis). */
export const putAlongAxisKernel: KernelConfig = {
  name: 'putAlongAxis',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<PutAlongAxisAttrs>) => {
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
  },
};

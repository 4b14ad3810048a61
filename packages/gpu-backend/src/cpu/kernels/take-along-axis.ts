import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import { intInput, output, rawInput } from '../host.js';

/** out[r] = x[r, indices[r]] over the last axis of x (the target pick of a loss). */
export const takeAlongAxisKernel: KernelConfig = {
  name: 'takeAlongAxis',
  backend: 'cpu',
  kernel: ({ inputs, backend }: KernelArgs) => {
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
  },
};

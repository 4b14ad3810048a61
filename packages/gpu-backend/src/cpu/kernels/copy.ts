import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount } from '../../shape.js';
import { output, rawInput } from '../host.js';

/** A new storage with the same contents and dtype. */
export const copyKernel: KernelConfig = {
  name: 'copy',
  backend: 'cpu',
  kernel: ({ inputs, backend }: KernelArgs) => {
    assertInputCount('copy', inputs, 1);
    const [xInfo] = inputs;
    const out = output(backend, xInfo.shape, xInfo.storage.dtype);
    out.data.set(rawInput(backend, xInfo, 'copy'));
    return out.info;
  },
};

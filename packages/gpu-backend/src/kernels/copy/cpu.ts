import { implement } from '../../registry.js';
import { copy } from './contract.js';
import { assertInputCount } from '../../shape.js';
import { output, rawInput } from '../../cpu/host.js';

/** A new storage with the same contents and dtype. */
const copyKernel = implement(copy, 'cpu', ({ inputs, backend }) => {
  assertInputCount('copy', inputs, 1);
  const [xInfo] = inputs;
  const out = output(backend, xInfo.shape, xInfo.storage.dtype, false); // set in full below
  out.data.set(rawInput(backend, xInfo, 'copy'));
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [copyKernel];

import { implement } from '../../registry.js';
import { assertInputCount } from '../../shape.js';
import { copyBlock } from '../../cpu/copy-block.js';
import { rawInput } from '../../cpu/host.js';
import { writeSlice } from './contract.js';
import { assertWriteSlice } from './math.js';

/** update copied into target's own array at begin, as contiguous runs along the last axis; any dtype. */
const writeSliceKernel = implement(writeSlice, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('writeSlice', inputs, 2);
  const [target, update] = inputs;
  assertWriteSlice(target, update, attrs.begin);
  copyBlock(
    rawInput(backend, update, 'writeSlice'),
    update.shape,
    update.shape.map(() => 0),
    rawInput(backend, target, 'writeSlice'),
    target.shape,
    attrs.begin,
    update.shape,
  );
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [writeSliceKernel];

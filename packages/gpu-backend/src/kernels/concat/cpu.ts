import { concatLayout } from './math.js';
import { implement } from '../../registry.js';
import { concat } from './contract.js';
import { output, rawInput } from '../../cpu/host.js';

/** Concatenate along axis; all inputs share rank, dtype and every other dim. */
const concatKernel = implement(concat, 'cpu', ({ inputs, attrs, backend }) => {
  const { axis, total, outShape, outer, inner } = concatLayout(inputs, attrs);
  // Every element is written (the inputs' runs tile each output row): no zero fill first.
  const out = output(backend, outShape, inputs[0].storage.dtype, false);
  const outRow = total * inner;
  let column = 0;
  for (const info of inputs) {
    const src = rawInput(backend, info, 'concat');
    const run = info.shape[axis] * inner;
    for (let o = 0; o < outer && run > 0; o++) out.data.set(src.subarray(o * run, o * run + run), o * outRow + column);
    column += run;
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [concatKernel];

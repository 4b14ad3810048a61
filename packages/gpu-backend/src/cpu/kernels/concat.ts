import type { KernelArgs } from '../../backend.js';
import { concatLayout, type ConcatAttrs } from '../../kernel-math/concat.js';
import type { KernelConfig } from '../../registry.js';
import { output, rawInput } from '../host.js';

/** Concatenate along axis; all inputs share rank, dtype and every other dim. */
export const concatKernel: KernelConfig = {
  name: 'concat',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<ConcatAttrs>) => {
    const { axis, total, outShape, outer, inner } = concatLayout(inputs, attrs);
    const out = output(backend, outShape, inputs[0].storage.dtype);
    const outRow = total * inner;
    let column = 0;
    for (const info of inputs) {
      const src = rawInput(backend, info, 'concat');
      const run = info.shape[axis] * inner;
      for (let o = 0; o < outer && run > 0; o++)
        out.data.set(src.subarray(o * run, o * run + run), o * outRow + column);
      column += run;
    }
    return out.info;
  },
};

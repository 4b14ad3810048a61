import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { fmt, kernelError, normalizeAxis, sizeOf } from '../../shape.js';
import { output, rawInput } from '../host.js';

export interface ConcatAttrs {
  axis: number;
  [attr: string]: unknown;
}

/** Concatenate along axis; all inputs share rank, dtype and every other dim. */
export const concatKernel: KernelConfig = {
  name: 'concat',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<ConcatAttrs>) => {
    if (inputs.length === 0) throw kernelError('concat', 'expected at least one input');
    const first = inputs[0];
    const rank = first.shape.length;
    const axis = normalizeAxis('concat', attrs.axis, rank);
    let total = 0;
    for (const info of inputs) {
      const ok = info.shape.length === rank && info.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!ok) throw kernelError('concat', `shapes ${inputs.map((x) => fmt(x.shape)).join(', ')} differ outside axis ${axis}`);
      if (info.storage.dtype !== first.storage.dtype) {
        throw kernelError('concat', `dtypes differ: ${inputs.map((x) => x.storage.dtype).join(', ')}`);
      }
      total += info.shape[axis];
    }
    const outShape = first.shape.map((d, i) => (i === axis ? total : d));
    const out = output(backend, outShape, first.storage.dtype);
    const outer = sizeOf(first.shape.slice(0, axis));
    const inner = sizeOf(first.shape.slice(axis + 1));
    const outRow = total * inner;
    let column = 0;
    for (const info of inputs) {
      const src = rawInput(backend, info, 'concat');
      const run = info.shape[axis] * inner;
      for (let o = 0; o < outer && run > 0; o++) out.data.set(src.subarray(o * run, o * run + run), o * outRow + column);
      column += run;
    }
    return out.info;
  },
};

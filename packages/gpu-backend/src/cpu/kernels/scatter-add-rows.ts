import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import type { ScatterAddRowsAttrs } from '../../kernel-attrs.js';
import { floatInput, floatOutput, intInput } from '../host.js';

/** Embedding gradient: out = zeros [numRows, C]; out[indices[n], :] += updates[n, :]. */
export const scatterAddRowsKernel: KernelConfig = {
  name: 'scatterAddRows',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<ScatterAddRowsAttrs>) => {
    assertInputCount('scatterAddRows', inputs, 2);
    const [updInfo, indexInfo] = inputs;
    const numRows = attrs.numRows;
    if (!Number.isInteger(numRows) || numRows < 0)
      throw kernelError('scatterAddRows', `attrs.numRows must be a non-negative integer, got ${numRows}`);
    const lead = indexInfo.shape;
    const ok = updInfo.shape.length === lead.length + 1 && lead.every((dim, i) => dim === updInfo.shape[i]);
    if (!ok) throw kernelError('scatterAddRows', `updates ${fmt(updInfo.shape)} must be [...indices ${fmt(lead)}, C]`);
    const cols = updInfo.shape[updInfo.shape.length - 1];
    const out = floatOutput(backend, [numRows, cols]);
    const indices = intInput(backend, indexInfo, 'scatterAddRows', 'indices');
    const updates = floatInput(backend, updInfo, 'scatterAddRows');
    const acc = out.data;
    for (let n = 0; n < indices.length; n++) {
      const row = indices[n];
      if (row < 0 || row >= numRows) {
        throw kernelError('scatterAddRows', `index ${row} at position ${n} is out of range for ${numRows} rows`);
      }
      const dst = row * cols;
      const src = n * cols;
      for (let c = 0; c < cols; c++) acc[dst + c] += updates[src + c];
    }
    return out.info;
  },
};

import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import { intInput, output, rawInput } from '../host.js';

/** Embedding lookup: out[n, :] = table[indices[n], :]. The table's dtype is kept (a bf16 table gives bf16 rows). */
export const gatherRowsKernel: KernelConfig = {
  name: 'gatherRows',
  backend: 'cpu',
  kernel: ({ inputs, backend }: KernelArgs) => {
    assertInputCount('gatherRows', inputs, 2);
    const [tableInfo, indexInfo] = inputs;
    if (tableInfo.shape.length !== 2)
      throw kernelError('gatherRows', `table must be [R, C], got ${fmt(tableInfo.shape)}`);
    const [rows, cols] = tableInfo.shape;
    const table = rawInput(backend, tableInfo, 'gatherRows');
    const indices = intInput(backend, indexInfo, 'gatherRows', 'indices');
    const out = output(backend, [...indexInfo.shape, cols], tableInfo.storage.dtype);
    for (let n = 0; n < indices.length; n++) {
      const row = indices[n];
      if (row < 0 || row >= rows) {
        throw kernelError('gatherRows', `index ${row} at position ${n} is out of range for a table of ${rows} rows`);
      }
      out.data.set(table.subarray(row * cols, row * cols + cols), n * cols);
    }
    return out.info;
  },
};

import { implement } from '../../registry.js';
import { gatherRows, scatterAddRows } from './contract.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { checkIndices, checkInt32 } from '../../gpujs/index-checks.js';
import { divFloor } from '../../gpujs/index-math.js';

/** out[n, c] = table[indices[n], c]. */
const GATHER_ROWS = deviceKernel(
  'gather_rows',
  [
    ['table', 'Array'],
    ['indices', 'Array'],
    ['cols', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('n', 'idx', 'cols')}
return table[Math.floor(indices[n]) * cols + (idx - n * cols)];`,
);

/** Embedding lookup; the table's dtype is kept. */
const gatherRowsKernel = implement(gatherRows, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('gatherRows', inputs, 2);
  const be = backend as GpujsBackend;
  const [table, indices] = inputs;
  if (table.shape.length !== 2) throw kernelError('gatherRows', `table must be [R, C], got ${fmt(table.shape)}`);
  checkInt32('gatherRows', indices);
  const [rows, cols] = table.shape;
  const out = be.output([...indices.shape, cols], table.storage.dtype);
  be.launch(GATHER_ROWS, out, () => {
    const ids = be.ints(indices);
    checkIndices('gatherRows', ids, rows, `a table of ${rows} rows`);
    return [be.floats(table), ids, cols];
  });
  return out;
});

/**
 * out[r, c] = sum of updates[n, c] over the n with indices[n] = r. The host
 * sorts positions by row (a counting sort, O(N)); the device sums each row's
 * run, so no two threads write one element.
 */
const SCATTER_ADD_ROWS = deviceKernel(
  'scatter_add_rows',
  [
    ['updates', 'Array'],
    ['order', 'Array'],
    ['rowStart', 'Array'],
    ['cols', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('r', 'idx', 'cols')}
const c = idx - r * cols;
const start = Math.floor(rowStart[r]);
const count = Math.floor(rowStart[r + 1]) - start;
let s = 0.0;
for (let j = 0; j < count; j++) {
  s += updates[Math.floor(order[start + j]) * cols + c];
}
return s;`,
);

const scatterAddRowsKernel = implement(scatterAddRows, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('scatterAddRows', inputs, 2);
  const be = backend as GpujsBackend;
  const [updates, indices] = inputs;
  const numRows = attrs.numRows;
  if (!Number.isInteger(numRows) || numRows < 0)
    throw kernelError('scatterAddRows', `attrs.numRows must be a non-negative integer, got ${numRows}`);
  checkInt32('scatterAddRows', indices);
  const lead = indices.shape;
  const ok = updates.shape.length === lead.length + 1 && lead.every((dim, i) => dim === updates.shape[i]);
  if (!ok) throw kernelError('scatterAddRows', `updates ${fmt(updates.shape)} must be [...indices ${fmt(lead)}, C]`);
  const cols = updates.shape[updates.shape.length - 1];
  const out = be.output([numRows, cols]);
  be.launch(SCATTER_ADD_ROWS, out, () => {
    const ids = be.ints(indices);
    checkIndices('scatterAddRows', ids, numRows, `${numRows} rows`);
    const rowStart = new Float32Array(numRows + 1);
    for (let n = 0; n < ids.length; n++) rowStart[ids[n] + 1] += 1;
    for (let r = 0; r < numRows; r++) rowStart[r + 1] += rowStart[r];
    const next = rowStart.slice(0, numRows);
    const order = new Float32Array(ids.length);
    for (let n = 0; n < ids.length; n++) order[next[ids[n]]++] = n;
    return [be.floats(updates), order, rowStart, cols];
  });
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [gatherRowsKernel, scatterAddRowsKernel];

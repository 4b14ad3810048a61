import type { KernelFunc, TensorInfo } from '../../backend.js';
import { assertInputCount, fmt, kernelError, sameShape } from '../../shape.js';
import type { PutAlongAxisAttrs, ScatterAddRowsAttrs } from '../../kernel-attrs.js';
import type { GpujsBackend } from '../backend.js';
import { deviceKernel } from '../device-kernel.js';
import { divFloor } from './index-math.js';

/**
 * Gathers and scatters by int32 index: embedding lookup and its gradient, and
 * the per-row target pick of a loss and its gradient. Indices are validated on
 * the host before the launch (an index out of range is an error, never a
 * silent read), which in webgpu mode happens when the launch runs.
 */

function checkIndices(kernel: string, indices: Int32Array, limit: number, what: string): void {
  for (let n = 0; n < indices.length; n++) {
    const j = indices[n];
    if (j < 0 || j >= limit) throw kernelError(kernel, `index ${j} at position ${n} is out of range for ${what}`);
  }
}

function checkInt32(kernel: string, info: TensorInfo): void {
  if (info.storage.dtype !== 'int32') throw kernelError(kernel, `indices must be int32, got ${info.storage.dtype}`);
}

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
export const gatherRows: KernelFunc = ({ inputs, backend }) => {
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
};

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

export const scatterAddRows: KernelFunc<ScatterAddRowsAttrs> = ({ inputs, attrs, backend }) => {
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
};

/** out[r] = x[r, indices[r]]. */
const TAKE_ALONG_AXIS = deviceKernel(
  'take_along_axis',
  [
    ['x', 'Array'],
    ['indices', 'Array'],
    ['v', 'Integer'],
  ],
  `
const r = this.thread.x;
return x[r * v + Math.floor(indices[r])];`,
);

export const takeAlongAxis: KernelFunc = ({ inputs, backend }) => {
  assertInputCount('takeAlongAxis', inputs, 2);
  const be = backend as GpujsBackend;
  const [x, indices] = inputs;
  const lead = x.shape.slice(0, -1);
  if (x.shape.length < 1 || indices.shape.length !== lead.length || lead.some((d, i) => d !== indices.shape[i])) {
    throw kernelError('takeAlongAxis', `indices ${fmt(indices.shape)} must be x ${fmt(x.shape)} without its last axis`);
  }
  checkInt32('takeAlongAxis', indices);
  const v = x.shape[x.shape.length - 1];
  const out = be.output(indices.shape, x.storage.dtype);
  be.launch(TAKE_ALONG_AXIS, out, () => {
    const ids = be.ints(indices);
    checkIndices('takeAlongAxis', ids, v, `an axis of ${v}`);
    return [be.floats(x), ids, v];
  });
  return out;
};

/** out[r, j] = updates[r] where j = indices[r], else 0. */
const PUT_ALONG_AXIS = deviceKernel(
  'put_along_axis',
  [
    ['updates', 'Array'],
    ['indices', 'Array'],
    ['size', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('r', 'idx', 'size')}
if (Math.floor(indices[r]) == idx - r * size) {
  return updates[r];
}
return 0.0;`,
);

export const putAlongAxis: KernelFunc<PutAlongAxisAttrs> = ({ inputs, attrs, backend }) => {
  assertInputCount('putAlongAxis', inputs, 2);
  const be = backend as GpujsBackend;
  const [updates, indices] = inputs;
  const size = attrs.size;
  if (!Number.isInteger(size) || size < 0)
    throw kernelError('putAlongAxis', `attrs.size must be a non-negative integer, got ${size}`);
  if (!sameShape(updates.shape, indices.shape)) {
    throw kernelError(
      'putAlongAxis',
      `updates ${fmt(updates.shape)} and indices ${fmt(indices.shape)} must have the same shape`,
    );
  }
  checkInt32('putAlongAxis', indices);
  const out = be.output([...indices.shape, size]);
  be.launch(PUT_ALONG_AXIS, out, () => {
    const ids = be.ints(indices);
    checkIndices('putAlongAxis', ids, size, `size ${size}`);
    return [be.floats(updates), ids, size];
  });
  return out;
};

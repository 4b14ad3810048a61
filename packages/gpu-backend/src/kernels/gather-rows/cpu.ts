import { implement } from '../../registry.js';
import { gatherRows, scatterAddRows } from './contract.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import { floatInput, floatOutput, intInput, output, rawInput } from '../../cpu/host.js';

/** Embedding lookup: out[n, :] = table[indices[n], :]. The table's dtype is kept (a bf16 table gives bf16 rows). */
const gatherRowsKernel = implement(gatherRows, 'cpu', ({ inputs, backend }) => {
  assertInputCount('gatherRows', inputs, 2);
  const [tableInfo, indexInfo] = inputs;
  if (tableInfo.shape.length !== 2)
    throw kernelError('gatherRows', `table must be [R, C], got ${fmt(tableInfo.shape)}`);
  const [rows, cols] = tableInfo.shape;
  const table = rawInput(backend, tableInfo, 'gatherRows');
  const indices = intInput(backend, indexInfo, 'gatherRows', 'indices');
  // Every row is written: no zero fill first.
  const out = output(backend, [...indexInfo.shape, cols], tableInfo.storage.dtype, false);
  for (let n = 0; n < indices.length; n++) {
    const row = indices[n];
    if (row < 0 || row >= rows) {
      throw kernelError('gatherRows', `index ${row} at position ${n} is out of range for a table of ${rows} rows`);
    }
    out.data.set(table.subarray(row * cols, row * cols + cols), n * cols);
  }
  return out.info;
});

/** Embedding gradient: out = zeros [numRows, C]; out[indices[n], :] += updates[n, :]. */
const scatterAddRowsKernel = implement(scatterAddRows, 'cpu', ({ inputs, attrs, backend }) => {
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
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [gatherRowsKernel, scatterAddRowsKernel];

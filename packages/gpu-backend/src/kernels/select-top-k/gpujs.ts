import { implement } from '../../registry.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { selectTopK } from './contract.js';
import { selectTopKDims, selectTopKRows } from './select.js';

/**
 * Host work in queue order (a selection whose output size depends on the
 * data has no gpu.js kernel form): the cpu backend's selection.
 */
const selectTopKKernel = implement(selectTopK, 'gpujs', ({ inputs, attrs, backend }) => {
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const { rows, n, outShape, countShape } = selectTopKDims(x.shape, attrs);
  const index = be.output(outShape, 'int32');
  const value = be.output(outShape, 'float32');
  const count = be.output(countShape, 'int32');
  be.host(() => {
    const size = rows * attrs.capacity;
    const indexData = new Int32Array(size);
    const valueData = new Float32Array(size);
    const countData = new Int32Array(rows);
    selectTopKRows(be.floats(x), rows, n, attrs.k, attrs.capacity, indexData, valueData, countData);
    be.store(index, indexData);
    be.store(value, valueData);
    be.store(count, countData);
  });
  return [index, value, count];
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [selectTopKKernel];

import { implement } from '../../registry.js';
import { floatInput, output } from '../../cpu/host.js';
import { selectTopK } from './contract.js';
import { selectTopKDims, selectTopKRows } from './select.js';

/** Each row's k-th largest (a size-k heap, or past k 64 a sampled threshold), then its entries at or above it in index order. */
const selectTopKKernel = implement(selectTopK, 'cpu', ({ inputs, attrs, backend }) => {
  const [xInfo] = inputs;
  const { rows, n, outShape, countShape } = selectTopKDims(xInfo.shape, attrs);
  const x = floatInput(backend, xInfo, 'selectTopK');
  const index = output(backend, outShape, 'int32', false);
  const value = output(backend, outShape, 'float32', false);
  const count = output(backend, countShape, 'int32', false);
  selectTopKRows(
    x,
    rows,
    n,
    attrs.k,
    attrs.capacity,
    index.data as Int32Array,
    value.data as Float32Array,
    count.data as Int32Array,
  );
  return [index.info, value.info, count.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [selectTopKKernel];

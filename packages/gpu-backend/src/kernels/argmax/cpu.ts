import { rowBase, rowsOf } from '../../cpu/rows.js';
import { implement } from '../../registry.js';
import { fmt, kernelError } from '../../shape.js';
import { argmax } from './contract.js';

/** Index of the first maximum along axis, row by row (see cpu/rows.ts); a NaN counts as the maximum (the first NaN wins). */
const argmaxKernel = implement(argmax, 'cpu', ({ inputs, attrs, backend }) => {
  const [xInfo] = inputs;
  const {
    rows,
    x: [x],
    out,
  } = rowsOf<Int32Array>('argmax', backend, inputs, attrs.axis, 'perRow', { dtype: 'int32' });
  const { n, stride } = rows;
  if (n === 0 && rows.count > 0) {
    backend.release(out.info.storage);
    throw kernelError('argmax', `axis ${attrs.axis} of ${fmt(xInfo.shape)} is empty: no maximum to find`);
  }
  const idx = out.data;
  for (let r = 0; r < rows.count; r++) {
    const base = rowBase(rows, r);
    let best = x[base];
    let bestJ = 0;
    if (best === best) {
      for (let j = 1, p = base + stride; j < n; j++, p += stride) {
        const v = x[p];
        if (v !== v) {
          bestJ = j;
          break;
        }
        if (v > best) {
          best = v;
          bestJ = j;
        }
      }
    }
    idx[r] = bestJ;
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [argmaxKernel];

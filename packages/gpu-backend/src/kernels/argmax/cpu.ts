import { implement } from '../../registry.js';
import { argmax } from './contract.js';
import { assertInputCount, fmt, kernelError, normalizeAxis, splitAtAxis } from '../../shape.js';
import { floatInput, output } from '../../cpu/host.js';

/** Index of the first maximum along axis; a NaN counts as the maximum (the first NaN wins). */
const argmaxKernel = implement(argmax, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('argmax', inputs, 1);
  const [xInfo] = inputs;
  const axis = normalizeAxis('argmax', attrs.axis, xInfo.shape.length);
  const { outer, n, inner } = splitAtAxis(xInfo.shape, axis);
  const outShape = xInfo.shape.filter((_, i) => i !== axis);
  if (n === 0 && outer * inner > 0)
    throw kernelError('argmax', `axis ${attrs.axis} of ${fmt(xInfo.shape)} is empty: no maximum to find`);
  const out = output(backend, outShape, 'int32');
  const idx = out.data as Int32Array;
  const x = floatInput(backend, xInfo, 'argmax');
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = x[base];
      let bestJ = 0;
      if (best === best) {
        for (let j = 1, p = base + inner; j < n; j++, p += inner) {
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
      idx[o * inner + i] = bestJ;
    }
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [argmaxKernel];

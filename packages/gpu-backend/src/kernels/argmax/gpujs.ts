import { implement } from '../../registry.js';
import { argmax } from './contract.js';
import { assertInputCount, fmt, kernelError, normalizeAxis, splitAtAxis } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { rowBase } from '../../gpujs/index-math.js';

/** First maximum along the axis; a NaN counts as the maximum (first NaN wins), like the reference. */
const ARGMAX = deviceKernel(
  'argmax',
  [
    ['x', 'Array'],
    ['n', 'Integer'],
    ['inner', 'Integer'],
  ],
  `
${rowBase('this.thread.x', 'n', 'inner')}
let best = x[base];
let bestIndex = 0;
for (let j = 0; j < n; j++) {
  const v = x[base + j * inner];
  if (best == best && (v > best || v != v)) {
    best = v;
    bestIndex = j;
  }
}
return bestIndex;`,
);

const argmaxKernel = implement(argmax, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('argmax', inputs, 1);
  const be = backend as GpujsBackend;
  const [x] = inputs;
  const axis = normalizeAxis('argmax', attrs.axis, x.shape.length);
  const { outer, n, inner } = splitAtAxis(x.shape, axis);
  if (n === 0 && outer * inner > 0)
    throw kernelError('argmax', `axis ${attrs.axis} of ${fmt(x.shape)} is empty: no maximum to find`);
  const out = be.output(
    x.shape.filter((_, i) => i !== axis),
    'int32',
  );
  be.launch(
    ARGMAX,
    out,
    () => [be.floats(x), n, inner],
    (values) => Int32Array.from(values),
  );
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [argmaxKernel];

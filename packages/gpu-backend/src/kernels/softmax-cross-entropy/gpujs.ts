import { implement } from '../../registry.js';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './contract.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';
import { checkIndices } from '../../gpujs/index-checks.js';
import { divFloor } from '../../gpujs/index-math.js';
import { ROW_LOG_SUM_EXP } from '../softmax/gpujs.js';
import { crossEntropyDims } from './math.js';

/** nll[r] = lse[r] - x[r, t[r]] (targets checked on the host first). */
const PICK_NLL = deviceKernel(
  'cross_entropy_nll',
  [
    ['x', 'Array'],
    ['lse', 'Array'],
    ['t', 'Array'],
    ['v', 'Integer'],
  ],
  `
const r = this.thread.x;
return lse[r] - x[r * v + Math.floor(t[r])];`,
);

/** dx[r, j] = dnll[r] (exp(x - lse[r]) - (j == t[r])). */
const CROSS_ENTROPY_GRAD = deviceKernel(
  'cross_entropy_grad',
  [
    ['dnll', 'Array'],
    ['x', 'Array'],
    ['t', 'Array'],
    ['lse', 'Array'],
    ['v', 'Integer'],
  ],
  `
const idx = this.thread.x;
${divFloor('r', 'idx', 'v')}
const c = dnll[r];
let g = c * Math.exp(x[idx] - lse[r]);
if (Math.floor(t[r]) == idx - r * v) {
  g = g - c;
}
return g;`,
);

/** Two launches: the row log-sum-exp (one thread per row), then the target pick. */
const softmaxCrossEntropyKernel = implement(softmaxCrossEntropy, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('softmaxCrossEntropy', inputs, 2);
  const be = backend as GpujsBackend;
  const [logits, targets] = inputs;
  const { v } = crossEntropyDims('softmaxCrossEntropy', logits, targets);
  const nll = be.output(targets.shape);
  const lse = be.output(targets.shape);
  be.launch(ROW_LOG_SUM_EXP, lse, () => [be.floats(logits), v, 1]);
  be.launch(PICK_NLL, nll, () => {
    const t = be.ints(targets);
    checkIndices('softmaxCrossEntropy', t, v, `a vocabulary of ${v}`);
    return [be.floats(logits), be.floats(lse), t, v];
  });
  return [nll, lse];
});

const softmaxCrossEntropyGradKernel = implement(softmaxCrossEntropyGrad, 'gpujs', ({ inputs, backend }) => {
  assertInputCount('softmaxCrossEntropyGrad', inputs, 4);
  const be = backend as GpujsBackend;
  const [dnll, logits, targets, lse] = inputs;
  const { v } = crossEntropyDims('softmaxCrossEntropyGrad', logits, targets, [
    ['dnll', dnll],
    ['lse', lse],
  ]);
  const dx = be.output(logits.shape);
  be.launch(CROSS_ENTROPY_GRAD, dx, () => {
    const t = be.ints(targets);
    checkIndices('softmaxCrossEntropyGrad', t, v, `a vocabulary of ${v}`);
    return [be.floats(dnll), be.floats(logits), t, be.floats(lse), v];
  });
  return dx;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [softmaxCrossEntropyKernel, softmaxCrossEntropyGradKernel];

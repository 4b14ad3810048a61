import { expf } from '../../cpu/expf.js';
import { floatInput, floatOutput, intInput } from '../../cpu/host.js';
import { implement } from '../../registry.js';
import { assertInputCount, kernelError } from '../../shape.js';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './contract.js';
import { crossEntropyDims } from './math.js';

function checkTarget(kernel: string, t: number, row: number, v: number): void {
  if (!(t >= 0 && t < v)) throw kernelError(kernel, `target ${t} of row ${row} is out of range [0, ${v})`);
}

/**
 * Per row: the maximum, then the sum of exp(x - max) in float64 (two passes
 * over a row that stays in cache), lse = max + log(sum), nll = lse - x[t].
 * The [rows, V] log-probabilities of logSoftmax + takeAlongAxis are never made.
 */
const softmaxCrossEntropyKernel = implement(softmaxCrossEntropy, 'cpu', ({ inputs, backend }) => {
  assertInputCount('softmaxCrossEntropy', inputs, 2);
  const [logitsInfo, targetsInfo] = inputs;
  const { rows, v } = crossEntropyDims('softmaxCrossEntropy', logitsInfo, targetsInfo);
  const nllOut = floatOutput(backend, targetsInfo.shape);
  const lseOut = floatOutput(backend, targetsInfo.shape);
  if (rows === 0) return [nllOut.info, lseOut.info];
  const x = floatInput(backend, logitsInfo, 'softmaxCrossEntropy');
  const targets = intInput(backend, targetsInfo, 'softmaxCrossEntropy', 'targets');
  const nll = nllOut.data;
  const lseData = lseOut.data;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    checkTarget('softmaxCrossEntropy', t, r, v);
    const base = r * v;
    let m = -Infinity;
    for (let j = base, end = base + v; j < end; j++) {
      const z = x[j];
      if (z > m || z !== z) m = z;
    }
    let lse = m;
    if (m !== -Infinity && m !== Infinity && m === m) {
      let s = 0;
      for (let j = base, end = base + v; j < end; j++) s += expf(x[j] - m);
      lse = m + Math.log(s);
    }
    lseData[r] = lse;
    nll[r] = lse - x[base + t];
  }
  return [nllOut.info, lseOut.info];
});

/** dlogits = dnll (exp(x - lse) - onehot(t)): one read of the logits, one write, per row. */
const softmaxCrossEntropyGradKernel = implement(softmaxCrossEntropyGrad, 'cpu', ({ inputs, backend }) => {
  assertInputCount('softmaxCrossEntropyGrad', inputs, 4);
  const [dnllInfo, logitsInfo, targetsInfo, lseInfo] = inputs;
  const { rows, v } = crossEntropyDims('softmaxCrossEntropyGrad', logitsInfo, targetsInfo, [
    ['dnll', dnllInfo],
    ['lse', lseInfo],
  ]);
  const out = floatOutput(backend, logitsInfo.shape);
  if (rows === 0 || v === 0) return out.info;
  const dnll = floatInput(backend, dnllInfo, 'softmaxCrossEntropyGrad');
  const x = floatInput(backend, logitsInfo, 'softmaxCrossEntropyGrad');
  const targets = intInput(backend, targetsInfo, 'softmaxCrossEntropyGrad', 'targets');
  const lse = floatInput(backend, lseInfo, 'softmaxCrossEntropyGrad');
  const dx = out.data;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    checkTarget('softmaxCrossEntropyGrad', t, r, v);
    const c = dnll[r];
    const l = lse[r];
    const base = r * v;
    for (let j = base, end = base + v; j < end; j++) dx[j] = c * expf(x[j] - l);
    dx[base + t] -= c;
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [softmaxCrossEntropyKernel, softmaxCrossEntropyGradKernel];

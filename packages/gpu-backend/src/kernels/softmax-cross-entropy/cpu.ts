import { floatInput, floatOutput, intInput, writtenFloatOutput } from '../../cpu/host.js';
import { simdRows } from '../../cpu/simd/simd.js';
import { implement } from '../../registry.js';
import { assertInputCount, kernelError } from '../../shape.js';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './contract.js';
import { crossEntropyDims } from './math.js';

function checkTarget(kernel: string, t: number, row: number, v: number): void {
  if (!(t >= 0 && t < v)) throw kernelError(kernel, `target ${t} of row ${row} is out of range [0, ${v})`);
}

/**
 * Per row, in WebAssembly SIMD on a copy of the row: the maximum, then the
 * sum of exp(x - max) in float64 (two passes over a row that stays in
 * cache); lse = max + log(sum), nll = lse - x[t]. The [rows, V]
 * log-probabilities of logSoftmax + takeAlongAxis are never made.
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
  const simd = simdRows();
  const row = simd.reserve(v);
  const mem = simd.f32;
  const { kernels, params } = simd;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    checkTarget('softmaxCrossEntropy', t, r, v);
    const base = r * v;
    mem.set(x.subarray(base, base + v), row);
    params[0] = 1;
    kernels.max_scaled(row * 4, v);
    const m = simd.maxResult();
    let lse = m;
    if (m !== -Infinity && m !== Infinity && m === m) {
      params[1] = m;
      kernels.exp_sum(row * 4, v);
      lse = m + Math.log(simd.sumResult());
    }
    lseData[r] = lse;
    nll[r] = lse - x[base + t];
  }
  return [nllOut.info, lseOut.info];
});

/**
 * dlogits = dnll (exp(x - lse) - onehot(t)): per row one read of the logits
 * and one write, the exp in WebAssembly SIMD on a copy of the row.
 */
const softmaxCrossEntropyGradKernel = implement(softmaxCrossEntropyGrad, 'cpu', ({ inputs, backend }) => {
  assertInputCount('softmaxCrossEntropyGrad', inputs, 4);
  const [dnllInfo, logitsInfo, targetsInfo, lseInfo] = inputs;
  const { rows, v } = crossEntropyDims('softmaxCrossEntropyGrad', logitsInfo, targetsInfo, [
    ['dnll', dnllInfo],
    ['lse', lseInfo],
  ]);
  const out = writtenFloatOutput(backend, logitsInfo.shape); // every row: its gradient, or NaN
  if (rows === 0 || v === 0) return out.info;
  const dnll = floatInput(backend, dnllInfo, 'softmaxCrossEntropyGrad');
  const x = floatInput(backend, logitsInfo, 'softmaxCrossEntropyGrad');
  const targets = intInput(backend, targetsInfo, 'softmaxCrossEntropyGrad', 'targets');
  const lse = floatInput(backend, lseInfo, 'softmaxCrossEntropyGrad');
  const dx = out.data;
  const simd = simdRows();
  const row = simd.reserve(v);
  const mem = simd.f32;
  const { kernels, params } = simd;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    checkTarget('softmaxCrossEntropyGrad', t, r, v);
    const c = dnll[r];
    const l = lse[r];
    const base = r * v;
    if (l === -Infinity || l !== l) {
      // No finite log-sum-exp (a row of -Infinity or NaN): exp(x - lse) is NaN, as logSoftmaxGrad gives.
      dx.fill(NaN, base, base + v);
      continue;
    }
    mem.set(x.subarray(base, base + v), row);
    params[0] = 1;
    params[1] = l;
    params[2] = c;
    kernels.exp_scaled(row * 4, v);
    dx.set(mem.subarray(row, row + v), base);
    dx[base + t] -= c;
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [softmaxCrossEntropyKernel, softmaxCrossEntropyGradKernel];

/** Losses: cross-entropy over the softmax of logits, fused where the backend has the kernels. */
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertInt, backendHas, needsGrad, record, run1, runKernel, wrap } from './core.js';
import { div, mul, neg } from './elementwise.js';
import { takeAlongAxis, where } from './indexing.js';
import { sum, mean } from './reduce.js';
import { logSoftmax } from './softmax.js';

export interface CrossEntropyOptions {
  /** float [...]: per-position weights (1 = counts, 0 = ignored); the mean is over the weight sum. */
  mask?: Tensor;
  /** 'mean' (default), 'sum' or 'none' (per position). */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * -log softmax(logits)[target] per position: one kernel forward
 * (`softmaxCrossEntropy`: the row log-sum-exp and the target's logit) and one
 * backward (`softmaxCrossEntropyGrad`: softmax minus one-hot, the softmax
 * recomputed from the saved log-sum-exp), so the [..., V] log-probabilities
 * and their gradient are never tensors; otherwise logSoftmax + takeAlongAxis.
 */
function targetNll(logits: Tensor, targets: Tensor): Tensor {
  if (!backendHas('softmaxCrossEntropy', 'softmaxCrossEntropyGrad')) {
    return neg(takeAlongAxis(logSoftmax(logits, -1), targets));
  }
  assertFloat('crossEntropy', logits);
  const [nllInfo, lseInfo] = runKernel('crossEntropy', 'softmaxCrossEntropy', [logits, targets]);
  const nll = wrap(nllInfo!, 'crossEntropy');
  const lse = wrap(lseInfo!, 'crossEntropy');
  if (needsGrad(logits)) {
    record('crossEntropy', [logits, null], [nll], [logits, targets, lse], ([dnll], [x, t, l]) => [
      run1('crossEntropyGrad', 'softmaxCrossEntropyGrad', [dnll!, x!, t!, l!]),
    ]);
  }
  lse.dispose();
  return nll;
}

/** Softmax cross-entropy of logits [..., V] against int32 targets [...]. */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  assertInt('crossEntropy', 'targets', targets);
  if (!sameShape(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(
      `crossEntropy: targets ${fmt(targets.shape)} must match logits ${fmt(logits.shape)} without the vocabulary axis`,
    );
  }
  if (options.mask && !sameShape(options.mask.shape, targets.shape)) {
    throw new Error(`crossEntropy: mask ${fmt(options.mask.shape)} must match targets ${fmt(targets.shape)}`);
  }
  const nll = targetNll(logits, targets);
  // A masked-out position adds exactly 0, to the value and to the gradient,
  // even where its loss is infinite (inf * 0 would be NaN), as PyTorch's ignore_index.
  const weighted = options.mask ? where(options.mask, mul(nll, options.mask), 0) : nll;
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return weighted;
  if (reduction === 'sum') return sum(weighted);
  return options.mask ? div(sum(weighted), sum(options.mask)) : mean(weighted);
}

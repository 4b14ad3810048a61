/** Losses built from the ops (their gradients come from the ops' own). */
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertInt } from './core.js';
import { div, mul, neg } from './elementwise.js';
import { takeAlongAxis } from './indexing.js';
import { sum, mean } from './reduce.js';
import { logSoftmax } from './softmax.js';

export interface CrossEntropyOptions {
  /** float [...]: per-position weights (1 = counts, 0 = ignored); the mean is over the weight sum. */
  mask?: Tensor;
  /** 'mean' (default), 'sum' or 'none' (per position). */
  reduction?: 'mean' | 'sum' | 'none';
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
  const nll = neg(takeAlongAxis(logSoftmax(logits, -1), targets));
  const weighted = options.mask ? mul(nll, options.mask) : nll;
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return weighted;
  if (reduction === 'sum') return sum(weighted);
  return options.mask ? div(sum(weighted), sum(options.mask)) : mean(weighted);
}

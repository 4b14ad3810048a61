import { defineKernel } from '../../contract/kernel-contract.js';

export const softmaxCrossEntropy = defineKernel({
  name: 'softmaxCrossEntropy',
  doc: 'per row, the cross-entropy of softmax(logits) against the target, logSumExp(logits) - logits[target], without the [..., V] log-probabilities; a target outside [0, V) is an error',
  inputs: [
    { name: 'logits', doc: '[..., V]' },
    { name: 'targets', dtype: 'int32', doc: '[...] (logits without the last axis)' },
  ],
  attrs: {},
  outputs: [
    { name: 'nll', doc: 'float32 [...]' },
    { name: 'lse', doc: 'float32 [...], the row log-sum-exp, for the backward' },
  ],
});

export const softmaxCrossEntropyGrad = defineKernel({
  name: 'softmaxCrossEntropyGrad',
  doc: 'the gradient of softmaxCrossEntropy: dlogits = dnll * (exp(logits - lse) - onehot(target)), the softmax recomputed from lse',
  inputs: [
    { name: 'dnll', doc: '[...]' },
    { name: 'logits', doc: '[..., V]' },
    { name: 'targets', dtype: 'int32', doc: '[...]' },
    { name: 'lse', doc: '[...] (from softmaxCrossEntropy)' },
  ],
  attrs: {},
  outputs: [{ name: 'dlogits', doc: 'float32 [..., V]' }],
});

export const contracts = [softmaxCrossEntropy, softmaxCrossEntropyGrad] as const;

import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const softmax = defineKernel({
  name: 'softmax',
  doc: 'softmax along axis, computed relative to the row maximum',
  inputs: [{ name: 'x' }],
  attrs: { axis: attr.integer },
  outputs: [{ name: 'y', doc: 'the shape of x' }],
});

export const logSoftmax = defineKernel({
  name: 'logSoftmax',
  doc: 'x - logSumExp(x) along axis',
  inputs: [{ name: 'x' }],
  attrs: { axis: attr.integer },
  outputs: [{ name: 'y', doc: 'the shape of x' }],
});

export const logSumExp = defineKernel({
  name: 'logSumExp',
  doc: 'log(sum(exp(x))) along axis, computed stably',
  inputs: [{ name: 'x' }],
  attrs: { axis: attr.integer, keepDims: attr.optional(attr.boolean) },
  outputs: [{ name: 'out', doc: 'x without axis (kept as 1 with keepDims)' }],
});

export const softmaxGrad = defineKernel({
  name: 'softmaxGrad',
  doc: 'y * (dy - sum(dy * y)) along axis',
  inputs: [{ name: 'dy' }, { name: 'y', doc: '(the softmax output)' }],
  attrs: { axis: attr.integer },
  outputs: [{ name: 'dx' }],
});

export const logSoftmaxGrad = defineKernel({
  name: 'logSoftmaxGrad',
  doc: 'dy - exp(y) * sum(dy) along axis',
  inputs: [{ name: 'dy' }, { name: 'y', doc: '(the logSoftmax output)' }],
  attrs: { axis: attr.integer },
  outputs: [{ name: 'dx' }],
});

export const contracts = [softmax, logSoftmax, logSumExp, softmaxGrad, logSoftmaxGrad] as const;

import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const rmsNorm = defineKernel({
  name: 'rmsNorm',
  doc: 'x / sqrt(mean(x^2) + eps) * weight over the last axis',
  inputs: [
    { name: 'x', doc: '[..., D]' },
    { name: 'weight', doc: '[D], float32 or bfloat16/float16 (read as stored)' },
  ],
  attrs: { eps: attr.number },
  outputs: [{ name: 'y', doc: '[..., D]' }],
});

export const rmsNormGrad = defineKernel({
  name: 'rmsNormGrad',
  doc: 'the gradients of rmsNorm: with r = 1 / sqrt(mean(x^2) + eps), dx = r (dy w - x r mean(dy w x r)), dweight = sum over rows of dy x r',
  inputs: [
    { name: 'dy', doc: '[..., D]' },
    { name: 'x', doc: '[..., D]' },
    { name: 'weight', doc: '[D], float32 or bfloat16/float16 (read as stored)' },
  ],
  attrs: { eps: attr.number },
  outputs: [
    { name: 'dx', doc: '[..., D]' },
    { name: 'dweight', doc: '[D] float32' },
  ],
});

export const contracts = [rmsNorm, rmsNormGrad] as const;

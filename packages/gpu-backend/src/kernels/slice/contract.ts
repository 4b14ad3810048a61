import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const slice = defineKernel({
  name: 'slice',
  doc: 'x[begin : begin + size] per axis (size -1: to the end); any dtype',
  inputs: [{ name: 'x' }],
  attrs: { begin: attr.integers, size: attr.integers },
  outputs: [{ name: 'out', doc: 'size' }],
});

export const sliceGrad = defineKernel({
  name: 'sliceGrad',
  doc: 'zeros of inputShape with dy written at begin (the gradient of slice)',
  inputs: [{ name: 'dy' }],
  attrs: { begin: attr.integers, inputShape: attr.integers },
  outputs: [{ name: 'dx', doc: 'inputShape' }],
});

export const contracts = [slice, sliceGrad] as const;

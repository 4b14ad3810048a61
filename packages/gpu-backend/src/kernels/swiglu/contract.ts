import { defineKernel } from '../../contract/kernel-contract.js';

export const swiglu = defineKernel({
  name: 'swiglu',
  doc: 'silu(gate) * up = gate * sigmoid(gate) * up, elementwise: the gating of a SwiGLU MLP in one pass',
  inputs: [{ name: 'gate' }, { name: 'up', doc: '(the shape of gate)' }],
  attrs: {},
  outputs: [{ name: 'y', doc: 'float32, the shape of gate' }],
});

export const swigluGrad = defineKernel({
  name: 'swigluGrad',
  doc: 'the gradients of swiglu: with s = sigmoid(gate), dgate = dy * up * s * (1 + gate * (1 - s)), dup = dy * gate * s',
  inputs: [{ name: 'dy' }, { name: 'gate', doc: '(the shape of dy)' }, { name: 'up', doc: '(the shape of dy)' }],
  attrs: {},
  outputs: [
    { name: 'dgate', doc: 'float32, the shape of dy' },
    { name: 'dup', doc: 'float32, the shape of dy' },
  ],
});

export const contracts = [swiglu, swigluGrad] as const;

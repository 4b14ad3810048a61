import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const adamw = defineKernel({
  name: 'adamw',
  doc: 'one AdamW step as torch.optim.AdamW takes it (decoupled weight decay, bias correction)',
  inputs: [
    { name: 'param', doc: 'float32' },
    { name: 'grad', doc: '(the shape of param)' },
    { name: 'm', doc: 'float32 (the shape of param)' },
    { name: 'v', doc: 'float32 (the shape of param)' },
  ],
  attrs: {
    lr: attr.number,
    beta1: attr.number,
    beta2: attr.number,
    eps: attr.number,
    weightDecay: attr.number,
    step: attr.described(attr.integer, '1-based, for the bias correction'),
  },
  outputs: [],
  inPlace: [0, 2, 3],
});

export const contracts = [adamw] as const;

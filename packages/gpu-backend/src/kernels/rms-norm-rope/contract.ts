import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

/** Attributes of both kernels: the norm's epsilon and the rotary base. */
const ATTRS = { eps: attr.number, theta: attr.number };

export const rmsNormRope = defineKernel({
  name: 'rmsNormRope',
  doc: "a projection's heads made ready for attention in one pass: each head vector RMS-normalised and scaled by weight (Qwen3's q_norm / k_norm), rotated by its position (rope's rotate-half convention), and written with the heads before the tokens; equals rope(transpose(rmsNorm(x, weight), [0, 2, 1, 3]), positions)",
  inputs: [
    { name: 'x', doc: '[B, T, H, D] (D even)' },
    { name: 'weight', doc: '[D], float32 or bfloat16/float16 (read as stored)' },
    { name: 'positions', dtype: 'int32', doc: '[B, T]' },
  ],
  attrs: ATTRS,
  outputs: [{ name: 'y', doc: '[B, H, T, D]' }],
});

export const rmsNormRopeGrad = defineKernel({
  name: 'rmsNormRopeGrad',
  doc: 'the gradients of rmsNormRope: dy rotated back by each position (inverse rope), moved back to [B, T, H, D], then through rmsNormGrad',
  inputs: [
    { name: 'dy', doc: '[B, H, T, D]' },
    { name: 'x', doc: '[B, T, H, D]' },
    { name: 'weight', doc: '[D], float32 or bfloat16/float16 (read as stored)' },
    { name: 'positions', dtype: 'int32', doc: '[B, T]' },
  ],
  attrs: ATTRS,
  outputs: [
    { name: 'dx', doc: '[B, T, H, D]' },
    { name: 'dweight', doc: '[D] float32' },
  ],
});

export const contracts = [rmsNormRope, rmsNormRopeGrad] as const;

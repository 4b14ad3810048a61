import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

const ATTRS = {
  scale: attr.number,
  causal: attr.boolean,
  queryOffset: attr.optional(attr.integer, 'absolute position of query 0 among the S keys, default S - T'),
};

const SEGMENT_IDS = {
  name: 'segmentIds',
  dtype: 'int32',
  optional: true,
  doc: '[B, S] (packed sequences: query i sees key j only in the same segment)',
} as const;

export const attention = defineKernel({
  name: 'attention',
  doc: 'scaled dot-product attention with grouped KV heads (Hq % Hkv == 0); a query that sees no key gets zeros and lse -Infinity',
  inputs: [
    { name: 'q', doc: '[B, Hq, T, D]' },
    { name: 'k', doc: '[B, Hkv, S, D]' },
    { name: 'v', doc: '[B, Hkv, S, D]' },
    SEGMENT_IDS,
  ],
  attrs: ATTRS,
  outputs: [
    { name: 'out', doc: '[B, Hq, T, D]' },
    { name: 'lse', doc: 'float32 [B, Hq, T] (row log-sum-exp of the scaled scores, for the backward)' },
  ],
});

export const attentionGrad = defineKernel({
  name: 'attentionGrad',
  doc: 'the gradients of attention, probabilities recomputed from lse',
  inputs: [
    { name: 'dOut', doc: '[B, Hq, T, D]' },
    { name: 'q' },
    { name: 'k' },
    { name: 'v' },
    { name: 'out' },
    { name: 'lse' },
    SEGMENT_IDS,
  ],
  attrs: ATTRS,
  outputs: [
    { name: 'dq', doc: '[B, Hq, T, D]' },
    { name: 'dk', doc: '[B, Hkv, S, D]' },
    { name: 'dv', doc: '[B, Hkv, S, D]' },
  ],
});

export const contracts = [attention, attentionGrad] as const;

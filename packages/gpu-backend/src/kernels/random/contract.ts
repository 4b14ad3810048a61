import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

const SEED = attr.described(attr.integer, 'in [0, 2^53)');
/** Where in the stream the output starts, so a large tensor can be made in pieces that match it made whole. */
const OFFSET = attr.optional(
  attr.integer,
  'the stream element of output element 0 (default 0): a multiple of 4, with offset + size <= 2^34',
);

export const randomUniform = defineKernel({
  name: 'randomUniform',
  doc: 'counter-based uniform numbers in [low, high) (default [0, 1)): Philox4x32-10 on (seed, offset + element index), the same stream on every backend',
  inputs: [],
  attrs: {
    shape: attr.integers,
    seed: SEED,
    low: attr.optional(attr.number),
    high: attr.optional(attr.number),
    offset: OFFSET,
  },
  outputs: [{ name: 'out', doc: 'float32 shape' }],
});

export const randomNormal = defineKernel({
  name: 'randomNormal',
  doc: 'normal numbers by Box-Muller over the randomUniform stream of the same seed (default mean 0, std 1)',
  inputs: [],
  attrs: {
    shape: attr.integers,
    seed: SEED,
    mean: attr.optional(attr.number),
    std: attr.optional(attr.number),
    offset: OFFSET,
  },
  outputs: [{ name: 'out', doc: 'float32 shape' }],
});

export const contracts = [randomUniform, randomNormal] as const;

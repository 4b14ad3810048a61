import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

const SEED = attr.described(attr.integer, 'in [0, 2^53)');

export const randomUniform = defineKernel({
  name: 'randomUniform',
  doc: 'counter-based uniform numbers in [low, high) (default [0, 1)): Philox4x32-10 on (seed, element index), the same stream on every backend',
  inputs: [],
  attrs: { shape: attr.integers, seed: SEED, low: attr.optional(attr.number), high: attr.optional(attr.number) },
  outputs: [{ name: 'out', doc: 'float32 shape' }],
});

export const randomNormal = defineKernel({
  name: 'randomNormal',
  doc: 'normal numbers by Box-Muller over the randomUniform stream of the same seed (default mean 0, std 1)',
  inputs: [],
  attrs: { shape: attr.integers, seed: SEED, mean: attr.optional(attr.number), std: attr.optional(attr.number) },
  outputs: [{ name: 'out', doc: 'float32 shape' }],
});

export const contracts = [randomUniform, randomNormal] as const;

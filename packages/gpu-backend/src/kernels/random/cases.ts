import { conformanceOf } from '../../conformance/types.js';
import { randomNormal, randomUniform } from './contract.js';

export const conformance = [
  conformanceOf(randomUniform, {
    // u = (word >>> 8) * 2^-24 is exact; low + (high - low) * u may be one FMA on a device.
    tolerance: { atol: 1e-6, rtol: 0 },
    cases: [
      { name: '[1000], seed 1', inputs: [], attrs: { shape: [1000], seed: 1 } },
      {
        name: '[3, 7] in [-3, 5), a seed above 2^32',
        inputs: [],
        attrs: { shape: [3, 7], seed: 2 ** 40 + 5, low: -3, high: 5 },
      },
      { name: 'size-1', inputs: [], attrs: { shape: [1], seed: 9 } },
      // Counters past the first 2^16 blocks, from the middle of the stream.
      { name: '[5, 13] at offset 262148', inputs: [], attrs: { shape: [5, 13], seed: 4, offset: 262148 } },
      { name: 'size-0', inputs: [], attrs: { shape: [0], seed: 9 } },
    ],
  }),
  conformanceOf(randomNormal, {
    // Box-Muller: log, sqrt, cos, sin in float32 on the device.
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    cases: [
      { name: '[1001] (odd length), seed 3', inputs: [], attrs: { shape: [1001], seed: 3 } },
      { name: 'mean 2, std 0.5', inputs: [], attrs: { shape: [4, 5], seed: 77, mean: 2, std: 0.5 } },
      { name: '[7, 9] at offset 1000', inputs: [], attrs: { shape: [7, 9], seed: 3, offset: 1000 } },
      { name: 'size-0', inputs: [], attrs: { shape: [0], seed: 3 } },
    ],
  }),
];

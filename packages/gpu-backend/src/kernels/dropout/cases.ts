import { floats, uniform } from '../../conformance/inputs.js';
import { ARITHMETIC } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { dropout } from './contract.js';

export const conformance = [
  conformanceOf(dropout, {
    // The same Philox stream (the same mask) everywhere; the scale's multiply within mul's few ulps
    // (gpu.js's cpu mode rounds its products otherwise; cpu and webgpu give the same bits).
    tolerance: ARITHMETIC,
    cases: [
      { name: 'p 0.1 over [7, 9]', inputs: [floats([7, 9], uniform(-3, 3))], attrs: { p: 0.1, seed: 1 } },
      { name: 'p 0.5, a seed past 2^32', inputs: [floats([3, 4, 5])], attrs: { p: 0.5, seed: 2 ** 40 + 11 } },
      { name: 'p 0 keeps everything', inputs: [floats([10])], attrs: { p: 0, seed: 3 } },
      { name: 'p 0.9 over a length not a multiple of 4', inputs: [floats([4099])], attrs: { p: 0.9, seed: 4 } },
      { name: 'empty', inputs: [floats([0, 3])], attrs: { p: 0.3, seed: 5 } },
    ],
    errors: [
      { name: 'p 1', inputs: [floats([4])], attrs: { p: 1, seed: 1 } },
      { name: 'a negative seed', inputs: [floats([4])], attrs: { p: 0.1, seed: -1 } },
    ],
  }),
];

import { floats, indices } from '../../conformance/inputs.js';
import { conformanceOf } from '../../conformance/types.js';
import { rope } from './contract.js';

export const conformance = [
  conformanceOf(rope, {
    // cos/sin of angles up to ~2000 rad: float32 range reduction costs ~1e-4 absolute.
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    cases: [
      {
        name: 'Qwen3 theta 1e6, positions up to 2048',
        inputs: [floats([2, 3, 5, 8]), indices([2, 5], 2048)],
        attrs: { theta: 1_000_000 },
      },
      {
        name: 'theta 1e4, D = 16, small positions',
        inputs: [floats([1, 2, 4, 16]), indices([1, 4], 16)],
        attrs: { theta: 10_000 },
      },
      {
        name: 'inverse (the gradient)',
        inputs: [floats([2, 2, 3, 6]), indices([2, 3], 512)],
        attrs: { theta: 10_000, inverse: true },
      },
      { name: 'D = 2, size-1 dims', inputs: [floats([1, 1, 1, 2]), indices([1, 1], 100)], attrs: { theta: 10_000 } },
      { name: 'size-0 batch', inputs: [floats([0, 2, 3, 4]), indices([0, 3], 10)], attrs: { theta: 10_000 } },
    ],
    errors: [{ name: 'an odd head dim', inputs: [floats([1, 1, 2, 3]), indices([1, 2], 4)], attrs: { theta: 10_000 } }],
  }),
];

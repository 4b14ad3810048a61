import { floats, uniform } from '../../conformance/inputs.js';
import { TRANSCENDENTAL } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { scalarOp } from './contract.js';

export const conformance = [
  conformanceOf(scalarOp, {
    tolerance: TRANSCENDENTAL,
    cases: [
      { name: 'x + 2.5', inputs: [floats([4, 5])], attrs: { op: 'add', scalar: 2.5 } },
      { name: '1 - x (reverse)', inputs: [floats([4, 5])], attrs: { op: 'sub', scalar: 1, reverse: true } },
      { name: 'x * 0.1 (scalar rounded to float32)', inputs: [floats([33])], attrs: { op: 'mul', scalar: 0.1 } },
      {
        name: '1 / x (reverse div)',
        inputs: [floats([4, 5], uniform(0.5, 2))],
        attrs: { op: 'div', scalar: 1, reverse: true },
      },
      { name: 'x ^ 2.5', inputs: [floats([17], uniform(0.1, 3))], attrs: { op: 'pow', scalar: 2.5 } },
      {
        name: '2 ^ x (reverse pow)',
        inputs: [floats([17], uniform(-3, 3))],
        attrs: { op: 'pow', scalar: 2, reverse: true },
      },
      { name: 'maximum(x, 0)', inputs: [floats([17])], attrs: { op: 'maximum', scalar: 0 } },
      { name: 'x > 0.5', inputs: [floats([17])], attrs: { op: 'greater', scalar: 0.5 } },
      { name: 'size-0', inputs: [floats([0, 3])], attrs: { op: 'mul', scalar: 3 } },
    ],
  }),
];

import { floats, uniform } from '../../conformance/inputs.js';
import { conformanceOf } from '../../conformance/types.js';
import { adamw } from './contract.js';

const state = (n: number) => [floats([n]), floats([n]), floats([n], uniform(-0.1, 0.1)), floats([n], uniform(0, 0.01))];

export const conformance = [
  conformanceOf(adamw, {
    tolerance: { atol: 1e-6, rtol: 1e-5 },
    cases: [
      {
        name: 'first step with weight decay',
        inputs: state(1000),
        attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 },
      },
      {
        name: 'step 10, no weight decay',
        inputs: state(33),
        attrs: { lr: 1e-2, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0, step: 10 },
      },
      {
        name: 'size-0',
        inputs: [floats([0]), floats([0]), floats([0]), floats([0])],
        attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 },
      },
    ],
  }),
];

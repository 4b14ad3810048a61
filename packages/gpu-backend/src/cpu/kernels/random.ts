import type { KernelArgs } from '../../backend.js';
import { assertRandomArgs, type RandomNormalAttrs, type RandomUniformAttrs } from '../../kernel-math/random.js';
import { fillNormal, fillUniform } from '../../random/philox.js';
import type { KernelConfig } from '../../registry.js';
import { floatOutput } from '../host.js';

/** Uniform [low, high) from the Philox stream of (seed, element index); see random/philox.ts. */
export const randomUniformKernel: KernelConfig = {
  name: 'randomUniform',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<RandomUniformAttrs>) => {
    assertRandomArgs('randomUniform', inputs, attrs);
    const out = floatOutput(backend, attrs.shape);
    fillUniform(out.data, attrs.seed, attrs.low ?? 0, attrs.high ?? 1);
    return out.info;
  },
};

/** Normal(mean, std) by Box-Muller over the same stream; see random/philox.ts. */
export const randomNormalKernel: KernelConfig = {
  name: 'randomNormal',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<RandomNormalAttrs>) => {
    assertRandomArgs('randomNormal', inputs, attrs);
    const out = floatOutput(backend, attrs.shape);
    fillNormal(out.data, attrs.seed, attrs.mean ?? 0, attrs.std ?? 1);
    return out.info;
  },
};

import { assertRandomArgs } from './math.js';
import { fillNormal, fillUniform } from '../../random/philox.js';
import { implement } from '../../registry.js';
import { randomNormal, randomUniform } from './contract.js';
import { floatOutput } from '../../cpu/host.js';

/** Uniform [low, high) from the Philox stream of (seed, offset + element index); see random/philox.ts. */
const randomUniformKernel = implement(randomUniform, 'cpu', ({ inputs, attrs, backend }) => {
  const offset = assertRandomArgs('randomUniform', inputs, attrs);
  const out = floatOutput(backend, attrs.shape);
  fillUniform(out.data, attrs.seed, attrs.low ?? 0, attrs.high ?? 1, offset);
  return out.info;
});

/** Normal(mean, std) by Box-Muller over the same stream; see random/philox.ts. */
const randomNormalKernel = implement(randomNormal, 'cpu', ({ inputs, attrs, backend }) => {
  const offset = assertRandomArgs('randomNormal', inputs, attrs);
  const out = floatOutput(backend, attrs.shape);
  fillNormal(out.data, attrs.seed, attrs.mean ?? 0, attrs.std ?? 1, offset);
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [randomUniformKernel, randomNormalKernel];

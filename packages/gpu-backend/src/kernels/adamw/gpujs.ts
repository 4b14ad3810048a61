import { implement } from '../../registry.js';
import { adamw } from './contract.js';
import { adamwScalars, assertAdamwArgs } from './math.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel } from '../../gpujs/device-kernel.js';

/**
 * AdamW as torch.optim.AdamW does it, in three launches whose results replace
 * the param, m and v storages' contents (the contract's in-place update: a
 * gpu.js kernel returns a new array, and a gpujs storage is a host array
 * reference). The param launch recomputes the new moments from the old ones,
 * so the three launches are independent and the param one runs first.
 */
const MOMENT_PARAMS = [
  ['g', 'Array'],
  ['moment', 'Array'],
  ['beta', 'Float'],
] as const;

const ADAMW_M = deviceKernel(
  'adamw_m',
  MOMENT_PARAMS,
  `
const i = this.thread.x;
return beta * moment[i] + (1.0 - beta) * g[i];`,
);

const ADAMW_V = deviceKernel(
  'adamw_v',
  MOMENT_PARAMS,
  `
const i = this.thread.x;
return beta * moment[i] + (1.0 - beta) * g[i] * g[i];`,
);

const ADAMW_PARAM = deviceKernel(
  'adamw_param',
  [
    ['p', 'Array'],
    ['g', 'Array'],
    ['m', 'Array'],
    ['v', 'Array'],
    ['decay', 'Float'],
    ['beta1', 'Float'],
    ['beta2', 'Float'],
    ['stepSize', 'Float'],
    ['bc2Sqrt', 'Float'],
    ['eps', 'Float'],
  ],
  `
const i = this.thread.x;
const gi = g[i];
const mi = Math.fround(beta1 * m[i] + (1.0 - beta1) * gi);
const vi = Math.fround(beta2 * v[i] + (1.0 - beta2) * gi * gi);
return p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);`,
);

const adamwKernel = implement(adamw, 'gpujs', ({ inputs, attrs, backend }) => {
  assertAdamwArgs(inputs, attrs);
  const be = backend as GpujsBackend;
  const [p, g, m, v] = inputs;
  const { beta1, beta2, eps } = attrs;
  const { decay, stepSize, bc2Sqrt } = adamwScalars(attrs);
  be.launch(ADAMW_PARAM, p, () => [
    be.floats(p),
    be.floats(g),
    be.floats(m),
    be.floats(v),
    decay,
    beta1,
    beta2,
    stepSize,
    bc2Sqrt,
    eps,
  ]);
  be.launch(ADAMW_M, m, () => [be.floats(g), be.floats(m), beta1]);
  be.launch(ADAMW_V, v, () => [be.floats(g), be.floats(v), beta2]);
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [adamwKernel];

import { adamwScalars, assertAdamwArgs } from './math.js';
import { implement } from '../../registry.js';
import { adamw } from './contract.js';
import { floatInput, rawInput } from '../../cpu/host.js';

/** One AdamW step in place, as torch.optim.AdamW does it (see math.ts). */
const adamwKernel = implement(adamw, 'cpu', ({ inputs, attrs, backend }) => {
  assertAdamwArgs(inputs, attrs);
  const [pInfo, gInfo, mInfo, vInfo] = inputs;
  const { beta1, beta2, eps } = attrs;
  const { decay, stepSize, bc2Sqrt } = adamwScalars(attrs);
  const p = rawInput(backend, pInfo, 'adamw') as Float32Array;
  const g = floatInput(backend, gInfo, 'adamw');
  const m = rawInput(backend, mInfo, 'adamw') as Float32Array;
  const v = rawInput(backend, vInfo, 'adamw') as Float32Array;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
  }
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [adamwKernel];

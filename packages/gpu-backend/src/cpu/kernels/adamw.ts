import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, assertSameShape, kernelError } from '../../shape.js';
import { floatInput, rawInput } from '../host.js';

export interface AdamwAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
  [attr: string]: unknown;
}

/**
 * One AdamW step in place, as torch.optim.AdamW does it:
 *   p *= 1 - lr * wd
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
 */
export const adamwKernel: KernelConfig = {
  name: 'adamw',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<AdamwAttrs>) => {
    assertInputCount('adamw', inputs, 4);
    const [pInfo, gInfo, mInfo, vInfo] = inputs;
    assertSameShape('adamw', ['param', 'grad', 'm', 'v'], [pInfo.shape, gInfo.shape, mInfo.shape, vInfo.shape]);
    for (const [name, info] of [
      ['param', pInfo],
      ['m', mInfo],
      ['v', vInfo],
    ] as const) {
      if (info.storage.dtype !== 'float32') throw kernelError('adamw', `${name} must be float32 (updated in place), got ${info.storage.dtype}`);
    }
    for (const key of ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step'] as const) {
      if (typeof attrs[key] !== 'number' || !Number.isFinite(attrs[key])) {
        throw kernelError('adamw', `attrs.${key} must be a finite number, got ${String(attrs[key])}`);
      }
    }
    const { lr, beta1, beta2, eps, weightDecay, step } = attrs;
    if (!Number.isInteger(step) || step < 1) throw kernelError('adamw', `attrs.step must be an integer >= 1 (1-based), got ${step}`);
    const p = rawInput(backend, pInfo, 'adamw') as Float32Array;
    const g = floatInput(backend, gInfo, 'adamw');
    const m = rawInput(backend, mInfo, 'adamw') as Float32Array;
    const v = rawInput(backend, vInfo, 'adamw') as Float32Array;
    const decay = 1 - lr * weightDecay;
    const stepSize = lr / (1 - Math.pow(beta1, step));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
    for (let i = 0; i < p.length; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + (1 - beta1) * gi;
      const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + eps);
    }
  },
};

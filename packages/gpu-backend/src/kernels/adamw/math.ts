/**
 * AdamW attributes, their validation and the per-step scalars, shared by the
 * backends. The update, as torch.optim.AdamW does it:
 *   p *= 1 - lr * wd
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
 *   p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
 */
import type { TensorInfo } from '../../backend.js';
import type { ContractAttrs } from '../../contract/kernel-contract.js';
import { assertInputCount, assertSameShape, kernelError } from '../../shape.js';
import type { adamw } from './contract.js';

export type AdamwAttrs = ContractAttrs<typeof adamw>;

/** The step's scalars, computed on the host in float64. */
export interface AdamwScalars {
  /** 1 - lr * weightDecay. */
  decay: number;
  /** lr / (1 - beta1^step). */
  stepSize: number;
  /** sqrt(1 - beta2^step). */
  bc2Sqrt: number;
}

export function adamwScalars({ lr, beta1, beta2, weightDecay, step }: AdamwAttrs): AdamwScalars {
  return {
    decay: 1 - lr * weightDecay,
    stepSize: lr / (1 - Math.pow(beta1, step)),
    bc2Sqrt: Math.sqrt(1 - Math.pow(beta2, step)),
  };
}

/** Checks param, grad, m, v (same shape; param, m and v float32, updated in place) and the attrs. */
export function assertAdamwArgs(inputs: readonly TensorInfo[], attrs: AdamwAttrs): void {
  assertInputCount('adamw', inputs, 4);
  const [p, g, m, v] = inputs;
  assertSameShape('adamw', ['param', 'grad', 'm', 'v'], [p.shape, g.shape, m.shape, v.shape]);
  for (const [name, info] of [
    ['param', p],
    ['m', m],
    ['v', v],
  ] as const) {
    if (info.storage.dtype !== 'float32')
      throw kernelError('adamw', `${name} must be float32 (updated in place), got ${info.storage.dtype}`);
  }
  for (const key of ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step'] as const) {
    if (typeof attrs[key] !== 'number' || !Number.isFinite(attrs[key])) {
      throw kernelError('adamw', `attrs.${key} must be a finite number, got ${String(attrs[key])}`);
    }
  }
  if (!Number.isInteger(attrs.step) || attrs.step < 1)
    throw kernelError('adamw', `attrs.step must be an integer >= 1 (1-based), got ${attrs.step}`);
}

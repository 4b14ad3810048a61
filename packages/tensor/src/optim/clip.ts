/** Gradient clipping by global L2 norm, on the device (no host round trip). */
import { noGrad } from '../engine.js';
import { add, minimum, mul, div, sqrt, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { zeros } from '../ops/creation.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Module } from '../nn/module.js';

/**
 * Scale every gradient by min(1, maxNorm / (norm + 1e-6)) where norm is the
 * L2 norm of all gradients together (torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping as a scalar tensor (read it with `await
 * norm.item()`); parameters without a gradient are skipped.
 */
export function clipGradNorm(params: Module | Tensor[] | [string, Tensor][], maxNorm: number): Tensor {
  const list = params instanceof Module ? params.parameters() : params.map((p) => (Array.isArray(p) ? p[1] : p));
  const withGrad = list.filter((p) => p.grad);
  return noGrad(() => {
    const norm = tidy(() => {
      let total: Tensor | null = null;
      for (const p of withGrad) {
        const s = sum(square(p.grad!));
        total = total ? add(total, s) : s;
      }
      return total ? sqrt(total) : zeros([]);
    });
    tidy(() => {
      const coef = minimum(div(maxNorm, add(norm, 1e-6)), 1);
      for (const p of withGrad) {
        const scaled = mul(p.grad!, coef).keep();
        p.grad!.dispose();
        p.grad = scaled;
      }
    });
    return norm;
  });
}

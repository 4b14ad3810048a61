/** The global gradient norm and clipping by it, on the device (no host round trip). */
import { noGrad } from '../engine.js';
import { add, minimum, mul, div, sqrt, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { cast } from '../ops/indexing.js';
import { zeros } from '../ops/creation.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Module } from '../nn/module.js';

type Params = Module | Tensor[] | [string, Tensor][];

function withGradients(params: Params): Tensor[] {
  const list = params instanceof Module ? params.parameters() : params.map((p) => (Array.isArray(p) ? p[1] : p));
  return list.filter((p) => p.grad);
}

/**
 * The L2 norm of all gradients together, as a scalar tensor (0 when none has a
 * gradient). Not finite when any gradient is not: one read tells a trainer
 * both the norm and whether the step is usable.
 */
export function gradNorm(params: Params): Tensor {
  const withGrad = withGradients(params);
  return noGrad(() =>
    tidy(() => {
      let total: Tensor | null = null;
      for (const p of withGrad) {
        // Each square freed at once: kept to the scope's end, they would hold a second copy of every gradient.
        // A half-precision gradient is squared and summed in float32 (its squares overflow float16 at 256).
        const wide = p.grad!.dtype === 'float32' ? p.grad! : cast(p.grad!, 'float32');
        const squared = square(wide);
        if (wide !== p.grad) wide.dispose();
        const s = sum(squared);
        squared.dispose();
        total = total ? add(total, s) : s;
      }
      return total ? sqrt(total) : zeros([]);
    }),
  );
}

/**
 * Scale every gradient by min(1, maxNorm / (norm + 1e-6)) where norm is the
 * L2 norm of all gradients together (torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping as a scalar tensor (read it with `await
 * norm.item()`); parameters without a gradient are skipped. bfloat16 and
 * float16 gradients count in float32 and keep their dtype.
 */
export function clipGradNorm(params: Params, maxNorm: number): Tensor {
  const withGrad = withGradients(params);
  const norm = gradNorm(withGrad);
  noGrad(() =>
    tidy(() => {
      const coef = minimum(div(maxNorm, add(norm, 1e-6)), 1);
      for (const p of withGrad) {
        const dtype = p.grad!.dtype;
        // A half-precision gradient is scaled in float32 and rounded back once (it keeps its dtype).
        const scaled = (
          dtype === 'float32' ? mul(p.grad!, coef) : cast(mul(cast(p.grad!, 'float32'), coef), dtype)
        ).keep();
        p.grad!.dispose();
        p.grad = scaled;
      }
    }),
  );
  return norm;
}

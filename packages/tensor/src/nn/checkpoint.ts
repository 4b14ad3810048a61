/**
 * Activation recomputation (torch.utils.checkpoint): a function of x runs
 * without recording and only its inputs are kept; the backward runs it again
 * with recording on and backpropagates through it. Memory: one saved input per
 * checkpointed call instead of every intermediate activation.
 */
import { customOp } from '../autograd/custom.js';
import { enableGrad } from '../engine.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/**
 * y = fn(x, ...constants), recomputed in the backward. `constants` (e.g.
 * positions, segment ids) get no gradient. `parameters` are the trainable
 * tensors fn reads: they are passed through the graph node so the backward
 * reaches it when only they need gradients, and their gradients accumulate
 * as usual when fn runs again. fn must compute the same on both runs (fix any
 * dropout seed outside it).
 */
export function checkpoint(
  fn: (x: Tensor, ...constants: Tensor[]) => Tensor,
  x: Tensor,
  constants: readonly Tensor[],
  parameters: readonly Tensor[],
  name = 'checkpoint',
): Tensor {
  const n = constants.length;
  const op = customOp(
    name,
    ([xx, ...rest], ctx) => {
      ctx.save(xx!, ...rest.slice(0, n));
      return tidy(() => fn(xx!, ...rest.slice(0, n)));
    },
    ([dy], [saved, ...savedConstants]) => {
      const xin = saved!.detach();
      xin.requiresGrad = x.requiresGrad;
      // tidy: the recomputed activations are freed before the next checkpointed call's backward.
      tidy(() =>
        enableGrad(() => {
          fn(xin, ...savedConstants).backward(dy);
        }),
      );
      const dx = xin.grad;
      xin.grad = null;
      xin.dispose();
      return [dx, ...constants.map(() => null), ...parameters.map(() => null)];
    },
  );
  return op(x, ...constants, ...parameters);
}

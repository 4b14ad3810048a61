import type { TensorInfo } from '../../backend.js';
import { fmt, kernelError, sameShape } from '../../shape.js';

export interface RmsNormRopeDims {
  b: number;
  t: number;
  h: number;
  d: number;
}

/** The shapes of an rmsNormRope(Grad) call checked (shared by the backends); dy, when given, must be [B, H, T, D]. */
export function rmsNormRopeDims(
  kernel: string,
  x: TensorInfo,
  weight: TensorInfo,
  positions: TensorInfo,
  attrs: { eps: number; theta: number },
  dy?: TensorInfo,
): RmsNormRopeDims {
  if (x.shape.length !== 4) throw kernelError(kernel, `x must be [B, T, H, D], got ${fmt(x.shape)}`);
  const [b, t, h, d] = x.shape;
  if (d % 2 !== 0) throw kernelError(kernel, `head dim D=${d} of x ${fmt(x.shape)} must be even`);
  if (weight.shape.length !== 1 || weight.shape[0] !== d) {
    throw kernelError(kernel, `weight ${fmt(weight.shape)} must be [${d}] to match x ${fmt(x.shape)}`);
  }
  if (!sameShape(positions.shape, [b, t])) {
    throw kernelError(kernel, `positions ${fmt(positions.shape)} must be [${b}, ${t}] for x ${fmt(x.shape)}`);
  }
  if (dy && !sameShape(dy.shape, [b, h, t, d])) {
    throw kernelError(
      kernel,
      `dy ${fmt(dy.shape)} must be [${b}, ${h}, ${t}, ${d}] (x ${fmt(x.shape)} with T and H swapped)`,
    );
  }
  if (!(attrs.eps >= 0)) throw kernelError(kernel, `attrs.eps must be a non-negative number, got ${attrs.eps}`);
  if (!(attrs.theta > 0)) throw kernelError(kernel, `attrs.theta must be a positive number, got ${attrs.theta}`);
  return { b, t, h, d };
}

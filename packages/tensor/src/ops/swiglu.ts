/** The gating of a SwiGLU MLP, silu(gate) * up, as one fused op. */
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, backendHas, needsGrad, record, run1, runKernel, wrap } from './core.js';
import { mul, silu } from './elementwise.js';

/**
 * silu(gate) * up for gate and up of one shape: forward and backward are one
 * kernel each (`swiglu`, `swigluGrad`), so neither silu(gate) nor its
 * gradient is a tensor of its own, and the backward keeps only gate and up.
 * On a backend without those kernels it is mul(silu(gate), up).
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  assertFloat('swiglu', gate, up);
  if (!sameShape(gate.shape, up.shape)) {
    throw new Error(`swiglu: gate ${fmt(gate.shape)} and up ${fmt(up.shape)} must have the same shape`);
  }
  if (!backendHas('swiglu', 'swigluGrad')) return mul(silu(gate), up);
  const out = run1('swiglu', 'swiglu', [gate, up]);
  if (needsGrad(gate, up)) {
    record('swiglu', [gate, up], [out], [gate, up], ([dy], [g, u]) => {
      const [dgate, dup] = runKernel('swigluGrad', 'swigluGrad', [dy!, g!, u!]);
      return [wrap(dgate!, 'swigluGrad'), wrap(dup!, 'swigluGrad')];
    });
  }
  return out;
}

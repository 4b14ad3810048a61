import type { Backend, TensorInfo } from '../../backend.js';
import { getKernel } from '../../registry.js';

/**
 * x' for a loraLinear call: x itself without dropout (the caller must not
 * release it then), else x dropped by this backend's `dropout` kernel at the
 * call's p and seed (LoRA's composition draws the same mask).
 */
export function adapterInput(backend: Backend, x: TensorInfo, attrs: { dropout?: number; seed?: number }): TensorInfo {
  const p = attrs.dropout ?? 0;
  if (p === 0) return x;
  // The implementation itself: a nested backend.run would count twice in a profile.
  const out = getKernel('dropout', backend.name)({ inputs: [x], attrs: { p, seed: attrs.seed! }, backend });
  return (Array.isArray(out) ? out[0] : out) as TensorInfo;
}

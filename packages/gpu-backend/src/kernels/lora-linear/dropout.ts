import type { Backend, KernelAttrs, TensorInfo } from '../../backend.js';
import { getKernel } from '../../registry.js';

/**
 * The adapter's input under dropout p at `seed`, as LoRA's composition draws
 * it: x' = (x * (u >= p)) * (1 / (1 - p)), u = randomUniform of x's shape,
 * by this backend's own kernels (so the same bits), temporaries freed.
 */
export function droppedInput(backend: Backend, x: TensorInfo, p: number, seed: number): TensorInfo {
  // The implementations themselves: a nested backend.run would count twice in a profile.
  const run = (name: string, inputs: TensorInfo[], attrs: KernelAttrs): TensorInfo => {
    const out = getKernel(name, backend.name)({ inputs, attrs, backend });
    return (Array.isArray(out) ? out[0] : out) as TensorInfo;
  };
  const uniform = run('randomUniform', [], { shape: [...x.shape], seed, low: 0, high: 1 });
  const keep = run('scalarOp', [uniform], { op: 'greaterEqual', scalar: p });
  backend.release(uniform.storage);
  const masked = run('mul', [x, keep], {});
  backend.release(keep.storage);
  const dropped = run('scalarOp', [masked], { op: 'mul', scalar: 1 / (1 - p) });
  backend.release(masked.storage);
  return dropped;
}

/** x' for a loraLinear call: x itself without dropout (the caller must not release it then). */
export function adapterInput(backend: Backend, x: TensorInfo, attrs: { dropout?: number; seed?: number }): TensorInfo {
  const p = attrs.dropout ?? 0;
  return p > 0 ? droppedInput(backend, x, p, attrs.seed!) : x;
}

import { implement } from '../../registry.js';
import { sizeOf } from '../../shape.js';
import { buf, gpu, output } from '../../webgpu/kernel-util.js';
import { copy } from './contract.js';

/** A device-side buffer copy; no shader. */
const copyKernel = implement(copy, 'webgpu', ({ inputs, backend }) => {
  const b = gpu(backend);
  const x = inputs[0];
  const out = output(b, x.shape, x.dtype);
  const bytes = Math.ceil((sizeOf(x.shape) * (x.dtype === 'float16' || x.dtype === 'bfloat16' ? 2 : 4)) / 4) * 4;
  b.copyBuffer(buf(x, 'copy', 'x'), buf(out, 'copy'), bytes);
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [copyKernel];

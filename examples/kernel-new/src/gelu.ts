/**
 * A new kernel: GELU in its tanh form (what GPT-2 and many activations use),
 *   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * for the cpu backend, written only against the public backend contract:
 * read the input storage, compute, upload the output. A kernel is one
 * function per op per backend, registered by name.
 */
import {
  registerKernel,
  hasKernel,
  assertInputCount,
  kernelError,
  type KernelArgs,
  type KernelConfig,
  type TensorInfo,
} from '@molrl/gpu-backend';

const C = Math.sqrt(2 / Math.PI);

/** The formula on one number (float64): the reference the kernel is checked against. */
export function geluReference(x: number): number {
  return 0.5 * x * (1 + Math.tanh(C * (x + 0.044715 * x * x * x)));
}

export const geluCpuKernel: KernelConfig = {
  name: 'gelu',
  backend: 'cpu',
  kernel: ({ inputs, backend }: KernelArgs): TensorInfo => {
    assertInputCount('gelu', inputs, 1);
    const [x] = inputs;
    if (x.dtype !== 'float32') throw kernelError('gelu', `expects a float32 input, got ${x.dtype}`);
    if (!backend.readSync) throw kernelError('gelu', `backend '${backend.name}' cannot read synchronously`);
    const data = backend.readSync(x.storage) as Float32Array;
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      // tanh saturates: for |v| > 10 the result is v or 0 to float32 precision, and the cube would overflow for huge v.
      out[i] = v > 10 ? v : v < -10 ? 0 : 0.5 * v * (1 + Math.tanh(C * (v + 0.044715 * v * v * v)));
    }
    return { storage: backend.upload(out, 'float32'), shape: x.shape, dtype: 'float32' };
  },
};

/** Register once (a second registration of the same name would be an error). */
export function registerGelu(): void {
  if (!hasKernel('gelu', 'cpu')) registerKernel(geluCpuKernel);
}

/**
 * A new kernel from outside the library: softplus as PyTorch defines it,
 *   softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold,
 * for the cpu backend, written only against the public backend contract.
 * The contract declares the attributes as types, so `run('softplus', ...)`
 * and `kernelOp('softplus', ...)` check them at compile time once the kernel
 * adds itself to `KernelTypes` below.
 */
import {
  attr,
  defineKernel,
  hasKernel,
  implement,
  kernelError,
  registerKernels,
  type KernelTypeOf,
  type TensorInfo,
} from '@molrl/gpu-backend';

export const softplus = defineKernel({
  name: 'softplus',
  doc: 'log(1 + exp(beta x)) / beta, x where beta x > threshold (torch.nn.functional.softplus)',
  inputs: [{ name: 'x', doc: 'float32' }],
  attrs: {
    beta: attr.optional(attr.number, 'default 1'),
    threshold: attr.optional(attr.number, 'default 20'),
  },
  outputs: [{ name: 'y', doc: 'the shape of x' }],
});

// Makes `run('softplus', inputs, { beta })` type-checked like the library's kernels.
declare module '@molrl/gpu-backend' {
  interface KernelTypes {
    softplus: KernelTypeOf<typeof softplus>;
  }
}

/** The formula on one number (float64): the reference the kernel is checked against. */
export function softplusReference(x: number, beta = 1, threshold = 20): number {
  return beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta;
}

export const softplusCpu = implement(softplus, 'cpu', ({ inputs, attrs, backend }): TensorInfo => {
  const [x] = inputs;
  if (x.dtype !== 'float32') throw kernelError('softplus', `x must be float32, got ${x.dtype}`);
  const beta = attrs.beta ?? 1;
  const threshold = attrs.threshold ?? 20;
  if (!(beta > 0)) throw kernelError('softplus', `attrs.beta must be positive, got ${beta}`);
  if (!backend.readSync) throw kernelError('softplus', `backend '${backend.name}' cannot read synchronously`);
  const data = backend.readSync(x.storage) as Float32Array;
  const out = new Float32Array(data.length);
  // log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)): exp never overflows.
  for (let i = 0; i < data.length; i++) {
    const z = beta * data[i];
    out[i] = z > threshold ? data[i] : (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / beta;
  }
  return { storage: backend.upload(out, 'float32'), shape: x.shape, dtype: 'float32' };
});

/**
 * Register once. If the library ever gains a kernel called 'softplus', this
 * fails with an error naming it instead of silently shadowing the library's
 * (register with `{ replace: true }` to use this one anyway).
 */
export function registerSoftplus(): void {
  if (!hasKernel('softplus', 'cpu')) registerKernels([softplusCpu]);
}

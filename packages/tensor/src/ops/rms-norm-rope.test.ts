import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CPU_KERNELS } from '@molrl/gpu-backend/cpu';
import { registerKernels, unregisterKernel } from '@molrl/gpu-backend';
import { mul, rmsNorm, rmsNormRope, rope, setBackend, tensor, transpose, type Tensor } from '../index.js';
import { values } from './ops.test-util.js';

const [B, T, H, D] = [2, 5, 3, 8];
const OPTIONS = { eps: 1e-6, theta: 1e6 };

/** Value and gradients of sum(op(x, w, positions) * c) for a Qwen3-like head layout. */
async function run(op: (x: Tensor, w: Tensor, p: Tensor) => Tensor) {
  const x = tensor(values(B * T * H * D, 1, -3, 3), [B, T, H, D], { requiresGrad: true });
  const w = tensor(values(D, 2, 0.5, 1.5), [D], { requiresGrad: true });
  const positions = tensor(
    Int32Array.from({ length: B * T }, (_, i) => (i * 397) % 2048),
    [B, T],
    {
      dtype: 'int32',
    },
  );
  const c = tensor(values(B * H * T * D, 3, -1, 1), [B, H, T, D]);
  const y = op(x, w, positions);
  mul(y, c).sum().backward();
  return { op: y.op, y: await y.data(), dx: await x.grad!.data(), dw: await w.grad!.data() };
}

const composed = (x: Tensor, w: Tensor, p: Tensor) =>
  rope(transpose(rmsNorm(x, w, OPTIONS.eps), [0, 2, 1, 3]), p, OPTIONS.theta);
const fused = (x: Tensor, w: Tensor, p: Tensor) => rmsNormRope(x, w, p, OPTIONS);

describe('rmsNormRope', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });
  afterEach(() => {
    registerKernels(
      CPU_KERNELS.filter((k) => k.contract.name === 'rmsNormRope' || k.contract.name === 'rmsNormRopeGrad'),
      { replace: true },
    );
  });

  it('equals rope(transpose(rmsNorm(x))) bit for bit on cpu, gradients included', async () => {
    const one = await run(fused);
    const three = await run(composed);
    expect(one.op).toBe('rmsNormRope');
    expect({ ...one, op: 'rope' }).toEqual(three);
  });

  it('falls back to the composition where the registry lacks the fused kernels', async () => {
    unregisterKernel('rmsNormRopeGrad', 'cpu');
    const fallback = await run(fused);
    expect(fallback.op).toBe('rope');
    expect(fallback).toEqual(await run(composed));
  });

  it('names what does not fit', () => {
    const x = tensor(values(24, 1, -1, 1), [1, 2, 3, 4]);
    const pos = tensor(Int32Array.from([0, 1]), [1, 2], { dtype: 'int32' });
    expect(() => rmsNormRope(x, tensor(values(3, 2, 0.5, 1), [3]), pos)).toThrow(
      'rmsNormRope: weight [3] must be [4] for x [1, 2, 3, 4]',
    );
    expect(() => rmsNormRope(x, tensor(values(4, 2, 0.5, 1), [4]), pos.reshape([2, 1]))).toThrow(
      'rmsNormRope: positions [2, 1] must be [B, T] = [1, 2] for x [1, 2, 3, 4]',
    );
  });
});

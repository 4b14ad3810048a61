import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CPU_KERNELS } from '@molrl/gpu-backend/cpu';
import { registerKernels, unregisterKernel } from '@molrl/gpu-backend';
import { mul, setBackend, silu, swiglu, tensor, type Tensor } from '../index.js';
import { values } from './ops.test-util.js';

/** The op's value and both gradients for sum(op(gate, up) * w). */
async function run(op: (g: Tensor, u: Tensor) => Tensor) {
  const gate = tensor(values(60, 1, -6, 6), [3, 4, 5], { requiresGrad: true });
  const up = tensor(values(60, 2, -1, 1), [3, 4, 5], { requiresGrad: true });
  const w = tensor(values(60, 3, -1, 1), [3, 4, 5]);
  const y = op(gate, up);
  const loss = mul(y, w).sum();
  loss.backward();
  return { op: y.op, y: await y.data(), dgate: await gate.grad!.data(), dup: await up.grad!.data() };
}

const composed = (g: Tensor, u: Tensor) => mul(silu(g), u);

describe('swiglu', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });
  afterEach(() => {
    // Put the library's cpu kernels back after a test took them away.
    registerKernels(
      CPU_KERNELS.filter((k) => k.contract.name === 'swiglu' || k.contract.name === 'swigluGrad'),
      { replace: true },
    );
  });

  it('runs as one kernel and agrees with mul(silu(gate), up), gradients included', async () => {
    const fused = await run(swiglu);
    const plain = await run(composed);
    expect(fused.op).toBe('swiglu');
    for (const k of ['y', 'dgate', 'dup'] as const) {
      for (let i = 0; i < fused[k].length; i++) expect(fused[k][i]).toBeCloseTo(plain[k][i]!, 5);
    }
  });

  it('falls back to the composition where the registry lacks the fused kernels', async () => {
    unregisterKernel('swigluGrad', 'cpu');
    const fallback = await run(swiglu);
    const plain = await run(composed);
    expect(fallback.op).toBe('mul');
    expect(fallback).toEqual({ ...plain, op: 'mul' });
  });

  it('names the shapes that do not match', () => {
    expect(() => swiglu(tensor(values(6, 1, -1, 1), [2, 3]), tensor(values(6, 2, -1, 1), [3, 2]))).toThrow(
      'swiglu: gate [2, 3] and up [3, 2] must have the same shape',
    );
  });
});

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CPU_KERNELS } from '@molrl/gpu-backend/cpu';
import { registerKernels, unregisterKernel } from '@molrl/gpu-backend';
import { crossEntropy, logSoftmax, mul, neg, setBackend, takeAlongAxis, tensor, type Tensor } from '../index.js';
import { values } from './ops.test-util.js';

const ROWS = [3, 4];
const V = 37;

/** Per-position losses and the logits' gradient of sum(loss * w). */
async function run(loss: (logits: Tensor, targets: Tensor) => Tensor) {
  const logits = tensor(values(12 * V, 1, -6, 6), [...ROWS, V], { requiresGrad: true });
  const targets = tensor(
    Int32Array.from({ length: 12 }, (_, i) => (i * 7) % V),
    ROWS,
    { dtype: 'int32' },
  );
  const w = tensor(values(12, 3, -1, 1), ROWS);
  const nll = loss(logits, targets);
  mul(nll, w).sum().backward();
  return { op: nll.op, nll: await nll.data(), dlogits: await logits.grad!.data() };
}

const composed = (x: Tensor, t: Tensor) => neg(takeAlongAxis(logSoftmax(x, -1), t));
const perPosition = (x: Tensor, t: Tensor) => crossEntropy(x, t, { reduction: 'none' });

describe('crossEntropy', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });
  afterEach(() => {
    registerKernels(
      CPU_KERNELS.filter(
        (k) => k.contract.name === 'softmaxCrossEntropy' || k.contract.name === 'softmaxCrossEntropyGrad',
      ),
      { replace: true },
    );
  });

  it('runs as one kernel each way and agrees with -takeAlongAxis(logSoftmax(x)), gradient included', async () => {
    const fused = await run(perPosition);
    const plain = await run(composed);
    expect(fused.op).toBe('crossEntropy');
    for (const k of ['nll', 'dlogits'] as const) {
      for (let i = 0; i < fused[k].length; i++) expect(fused[k][i]).toBeCloseTo(plain[k][i]!, 5);
    }
  });

  it('falls back to logSoftmax + takeAlongAxis where the registry lacks the fused kernels', async () => {
    unregisterKernel('softmaxCrossEntropy', 'cpu');
    const fallback = await run(perPosition);
    expect(fallback.op).toBe('neg');
    const plain = await run(composed);
    expect(fallback).toEqual({ ...plain, op: 'neg' });
  });

  it('names a target outside the vocabulary', () => {
    const logits = tensor(values(2 * V, 1, -1, 1), [2, V]);
    expect(() => crossEntropy(logits, tensor(Int32Array.from([3, V]), [2], { dtype: 'int32' }))).toThrow(
      `softmaxCrossEntropy: target ${V} of row 1 is out of range [0, ${V})`,
    );
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { unregisterKernel } from '@molrl/gpu-backend';
import { dropout, greaterEqual, mul, rand, setBackend, tensor, type Tensor } from '../index.js';
import { values } from './ops.test-util.js';

/** The composition dropout is defined by: mul(mul(x, rand(x.shape, { seed }) >= p), 1 / (1 - p)). */
const composed = (x: Tensor, p: number, seed: number) =>
  mul(mul(x, greaterEqual(rand(x.shape, { seed }), p)), 1 / (1 - p));

/** The value and the gradient of sum(op(x) * probe), with kernel calls counted. */
async function run(op: (x: Tensor) => Tensor, withoutKernel = false) {
  const profiled = (await setBackend('cpu', { profile: true })) as unknown as {
    kernelProfile(): { kernel: string; calls: number }[];
  };
  // A new backend registers the library's kernels: take the fused one away after it.
  if (withoutKernel) unregisterKernel('dropout', 'cpu');
  const x = tensor(values(3 * 1030, 1, -2, 2), [3, 1030], { requiresGrad: true });
  const y = op(x);
  const calls = new Map(profiled.kernelProfile().map((p) => [p.kernel, p.calls]));
  mul(y, tensor(values(3 * 1030, 2), [3, 1030]))
    .sum()
    .backward();
  return { y: await y.data(), dx: await x.grad!.data(), calls };
}

describe('dropout', () => {
  afterEach(async () => {
    await setBackend('cpu');
  });

  it('is one kernel with the bits of the composition, its gradient the same mask on dy; the fallback too', async () => {
    for (const [p, seed] of [
      [0.1, 7],
      [0.6, 2 ** 41 + 5],
    ] as const) {
      const plain = await run((x) => composed(x, p, seed));
      const fused = await run((x) => dropout(x, p, seed));
      const fallback = await run((x) => dropout(x, p, seed), true);
      expect(fused.calls.get('dropout')).toBe(1);
      expect(fused.calls.get('randomUniform')).toBeUndefined();
      expect(fallback.calls.get('dropout')).toBeUndefined();
      for (const r of [fused, fallback]) {
        expect(r.y, `p ${p}`).toEqual(plain.y);
        expect(r.dx, `p ${p}`).toEqual(plain.dx);
      }
      const dropped = Array.from(fused.y).filter((v) => v === 0).length / fused.y.length;
      expect(Math.abs(dropped - p)).toBeLessThan(0.05);
    }
  });

  it('p = 0 is x itself; an empty x stays empty; bad p and seeds are named', () => {
    const x = tensor(values(4, 3), [4]);
    expect(dropout(x, 0, 1)).toBe(x);
    const empty = dropout(tensor(new Float32Array(0), [0, 3]), 0.5, 1);
    expect(empty.shape).toEqual([0, 3]);
    expect(() => dropout(x, 1, 1)).toThrow('dropout: p must be in [0, 1), got 1');
    expect(() => dropout(x, 0.5, -2)).toThrow('dropout: seed must be an integer in [0, 2^53), got -2');
    expect(() => dropout(x, 0.5, 1.5)).toThrow('dropout: seed must be an integer in [0, 2^53), got 1.5');
  });
});

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unregisterKernel } from '@molrl/gpu-backend';
import { add, greaterEqual, loraLinear, matmul, mul, rand, setBackend, tensor, type Tensor } from '../index.js';
import { values } from './ops.test-util.js';

type Layer = (x: Tensor, w: Tensor, a: Tensor, b: Tensor, scaling: number) => Tensor;

/** The unfused layer, as an adapter without the op computes it. */
const composed: Layer = (x, w, a, b, scaling) =>
  add(
    matmul(x, w, { transposeB: true }),
    mul(matmul(matmul(x, a, { transposeB: true }), b, { transposeB: true }), scaling),
  );

/** The composition with dropout p on the adapter's input, its mask drawn at `seed` (as LoRA's adapter draws it). */
const composedDropout =
  (p: number, seed: number): Layer =>
  (x, w, a, b, scaling) => {
    const keep = greaterEqual(rand(x.shape, { seed }), p);
    const dropped = mul(mul(x, keep), 1 / (1 - p));
    const up = matmul(matmul(dropped, a, { transposeB: true }), b, { transposeB: true });
    return add(matmul(x, w, { transposeB: true }), mul(up, scaling));
  };

/** The value and every gradient of sum(layer(x, W, A, B) * probe), with kernel calls counted. */
async function run(layer: Layer, rows: number, withoutKernel = false, scaling = 1.5) {
  const profiled = (await setBackend('cpu', { profile: true })) as unknown as {
    kernelProfile(): { kernel: string; calls: number }[];
    resetKernelProfile(): void;
  };
  // A new backend registers the library's kernels: take the fused one away after it.
  if (withoutKernel) unregisterKernel('loraLinear', 'cpu');
  const [k, n, r] = [40, 24, 4];
  const x = tensor(values(rows * k, 1), [rows, k], { requiresGrad: true });
  const w = tensor(values(n * k, 2), [n, k], { requiresGrad: true });
  const a = tensor(values(r * k, 3), [r, k], { requiresGrad: true });
  const b = tensor(values(n * r, 4), [n, r], { requiresGrad: true });
  const y = layer(x, w, a, b, scaling);
  const calls = new Map(profiled.kernelProfile().map((p) => [p.kernel, p.calls]));
  const probed = mul(y, tensor(values(rows * n, 5), [rows, n])).sum();
  profiled.resetKernelProfile();
  probed.backward();
  const backwardCalls = new Map(profiled.kernelProfile().map((p) => [p.kernel, p.calls]));
  const grads = await Promise.all([x, w, a, b].map((t) => t.grad!.data()));
  return { y: await y.data(), grads, calls, backwardCalls };
}

describe('loraLinear', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });
  afterEach(async () => {
    // A new cpu backend registers the library's kernels again (the one a test took away included).
    await setBackend('cpu');
  });

  it('is one kernel call with the bits of the unfused layer, gradients included (decoding rows and GEMM rows)', async () => {
    for (const rows of [1, 3, 70]) {
      const fused = await run(loraLinear, rows);
      const plain = await run(composed, rows);
      expect(fused.calls.get('loraLinear'), `${rows} rows`).toBe(1);
      expect(fused.calls.get('matmul')).toBeUndefined();
      expect(plain.calls.get('matmul')).toBe(3);
      expect(fused.y, `${rows} rows`).toEqual(plain.y);
      fused.grads.forEach((g, i) => expect(g, `${rows} rows, gradient ${i}`).toEqual(plain.grads[i]));
    }
  });

  it('scales the narrow products in the backward for a power-of-two scaling, with the same bits', async () => {
    for (const scaling of [2, 0.25, -4]) {
      for (const rows of [1, 70]) {
        const fused = await run(loraLinear, rows, false, scaling);
        const plain = await run(composed, rows, false, scaling);
        expect(fused.y, `scaling ${scaling}, ${rows} rows`).toEqual(plain.y);
        fused.grads.forEach((g, i) =>
          expect(g, `scaling ${scaling}, ${rows} rows, gradient ${i}`).toEqual(plain.grads[i]),
        );
        // The two [M, R] products scaled, where the composition scales its [M, N] gradient once.
        expect(fused.backwardCalls.get('scalarOp')).toBe(2);
        const fallback = await run(loraLinear, rows, true, scaling);
        fallback.grads.forEach((g, i) => expect(g, `fallback, gradient ${i}`).toEqual(plain.grads[i]));
      }
    }
    const other = await run(loraLinear, 70, false, 1.5);
    expect(other.backwardCalls.get('scalarOp')).toBe(1);
  });

  it("with dropout, the composition's mask and bits, gradients included, and its fallback too", async () => {
    for (const [p, seed] of [
      [0.1, 3],
      [0.5, 2 ** 40 + 7],
    ] as const) {
      for (const rows of [1, 70]) {
        const plain = await run(composedDropout(p, seed), rows);
        const fused = await run((x, w, a, b, s) => loraLinear(x, w, a, b, s, { dropout: p, seed }), rows);
        expect(fused.calls.get('loraLinear'), `${rows} rows`).toBe(1);
        expect(fused.calls.get('randomUniform')).toBeUndefined();
        expect(fused.y, `dropout ${p}, ${rows} rows`).toEqual(plain.y);
        fused.grads.forEach((g, i) => expect(g, `dropout ${p}, ${rows} rows, gradient ${i}`).toEqual(plain.grads[i]));
        const fallback = await run((x, w, a, b, s) => loraLinear(x, w, a, b, s, { dropout: p, seed }), rows, true);
        expect(fallback.calls.get('dropout')).toBe(1); // the forward's mask (counted before the backward)
        expect(fallback.y).toEqual(plain.y);
        fallback.grads.forEach((g, i) => expect(g, `fallback, gradient ${i}`).toEqual(plain.grads[i]));
      }
    }
    // Dropout changes the adapter's part: another seed, other values.
    const other = await run((x, w, a, b, s) => loraLinear(x, w, a, b, s, { dropout: 0.5, seed: 4 }), 3);
    const some = await run((x, w, a, b, s) => loraLinear(x, w, a, b, s, { dropout: 0.5, seed: 5 }), 3);
    expect(other.y).not.toEqual(some.y);
  });

  it('falls back to the composition where the registry lacks the kernel', async () => {
    const fallback = await run(loraLinear, 2, true);
    const plain = await run(composed, 2);
    expect(fallback.calls.get('loraLinear')).toBeUndefined();
    expect(fallback.calls.get('matmul')).toBe(3);
    expect(fallback.y).toEqual(plain.y);
  });

  it('names the operand that does not fit', () => {
    const t = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
      tensor(new Float32Array(shape.reduce((p, q) => p * q, 1)), shape).cast(dtype);
    expect(() => loraLinear(t([2, 4]), t([3, 4]), t([2, 4]), t([3, 5]), 1)).toThrow(
      'loraLinear: loraB [3, 5] must be [3, 2] (weight [3, 4], loraA [2, 4])',
    );
    expect(() => loraLinear(t([2, 4]), t([3, 5]), t([2, 4]), t([3, 2]), 1)).toThrow(
      'loraLinear: weight [3, 5] must be [N, 4] for x [2, 4]',
    );
    expect(() => loraLinear(t([1, 2, 4]), t([3, 4]), t([2, 4]), t([3, 2]), 1)).toThrow(
      'loraLinear: x must be 2-D, got [1, 2, 4]',
    );
    expect(() => loraLinear(t([2, 4]), t([3, 4], 'int32'), t([2, 4]), t([3, 2]), 1)).toThrow(
      /loraLinear: weight must be float32 or bfloat16 or float16, got/,
    );
    expect(() => loraLinear(t([2, 4]), t([3, 4]), t([2, 4]), t([3, 2]), NaN)).toThrow(
      'scaling must be a finite number',
    );
    expect(() => loraLinear(t([2, 4]), t([3, 4]), t([2, 4]), t([3, 2]), 1, { dropout: 1, seed: 1 })).toThrow(
      'loraLinear: dropout must be in [0, 1), got 1',
    );
    expect(() => loraLinear(t([2, 4]), t([3, 4]), t([2, 4]), t([3, 2]), 1, { dropout: 0.1 })).toThrow(
      'loraLinear: dropout 0.1 needs a seed, an integer in [0, 2^53), got undefined',
    );
  });
});

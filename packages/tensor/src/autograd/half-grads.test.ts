/** Gradients through casts and of float16/bfloat16 tensors: dtypes and sums as PyTorch gives them. */
import { beforeAll, describe, expect, it } from 'vitest';
import { add, cast, clipGradNorm, matmul, memory, mul, setBackend, sum, tensor, tidy, type Tensor } from '../index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const data = async (t: Tensor | null) => Array.from(await t!.data());

describe("a cast's gradient", () => {
  it('comes back in the input dtype (float32 through a bfloat16 round trip), and accumulates', async () => {
    const x = tensor([1, 2, 3], [3], { requiresGrad: true });
    sum(cast(cast(x, 'bfloat16'), 'float32')).backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(await data(x.grad)).toEqual([1, 1, 1]);
    sum(cast(cast(x, 'bfloat16'), 'float32')).backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(await data(x.grad)).toEqual([2, 2, 2]);
  });

  it('of a cast used twice is summed in its dtype and returned in the input dtype', async () => {
    const x = tensor([1, 2, 3], [3], { requiresGrad: true });
    const h = cast(x, 'bfloat16');
    add(sum(cast(h, 'float32')), sum(mul(cast(h, 'float32'), 2))).backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(await data(x.grad)).toEqual([3, 3, 3]);
  });

  it('through matmul with a bfloat16 copy of a float32 weight is float32 (clipGradNorm takes it)', async () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const w = tensor(
      [
        [0.5, 1],
        [1.5, 2],
      ],
      [2, 2],
      { requiresGrad: true },
    );
    sum(matmul(x, cast(w, 'bfloat16'))).backward();
    expect(w.grad!.dtype).toBe('float32');
    expect(await data(w.grad)).toEqual([4, 4, 6, 6]);
    const norm = clipGradNorm([w], 1e6);
    expect(await norm.item()).toBeCloseTo(Math.sqrt(104), 5);
  });
});

describe('bfloat16 gradients', () => {
  // torch: w = tensor([1, 2, 3], dtype=bfloat16, requires_grad=True);
  // ((w.float() * a).sum() + (w.float() * b).sum()).backward(), twice.
  const a = [1.5, 1, 0.3];
  const b = [0.25, 0.0078125, 0.3];
  const loss = (w: Tensor) => add(sum(mul(cast(w, 'float32'), tensor(a))), sum(mul(cast(w, 'float32'), tensor(b))));

  it('of a leaf used twice in one graph are summed in bfloat16, and accumulate across backward calls', async () => {
    const w = tensor([1, 2, 3], [3], { dtype: 'bfloat16', requiresGrad: true });
    loss(w).backward();
    expect(w.grad!.dtype).toBe('bfloat16');
    expect(await data(w.grad)).toEqual([1.75, 1.0078125, 0.6015625]);
    loss(w).backward();
    expect(w.grad!.dtype).toBe('bfloat16');
    expect(await data(w.grad)).toEqual([3.5, 2.015625, 1.203125]);
  });

  it('are summed in float32 and rounded once to their dtype (float16 too)', async () => {
    // float16 has 10 mantissa bits: (1 + 2^-10) + 2^-11 lies halfway and rounds to even, 1 + 2^-9 (as torch).
    const w = tensor([1], [1], { dtype: 'float16', requiresGrad: true });
    add(sum(mul(cast(w, 'float32'), 1 + 2 ** -10)), sum(mul(cast(w, 'float32'), 2 ** -11))).backward();
    expect(w.grad!.dtype).toBe('float16');
    expect(await data(w.grad)).toEqual([1 + 2 ** -9]);
  });

  it('leave no storage behind when summed', async () => {
    const w = tensor([1, 2, 3], [3], { dtype: 'bfloat16', requiresGrad: true });
    const counts: [number, number][] = [];
    for (let step = 0; step < 3; step++) {
      const l = tidy(() => loss(w));
      l.backward();
      l.dispose();
      const m = memory();
      counts.push([m.storages, m.tensors]);
    }
    expect(counts[2]).toEqual(counts[1]);
    w.zeroGrad();
    w.dispose();
  });
});

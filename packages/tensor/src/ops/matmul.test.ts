import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCpuBackend, type CpuBackend } from '@molrl/gpu-backend/cpu';
import { Embedding, Linear, matmul, RMSNorm, rmsNorm, setBackend, tensor } from '../index.js';

/** Values exact in bfloat16 and float16, so widened and half-precision products agree exactly. */
const W = [0.5, -1.25, 3, 0.125, 2, -0.75, 1, 0.25, -2, 1.5, 0.375, -0.5];
const X = [1, 2, 3, -1, 0, 4, 0.5, -2];

let backend: CpuBackend;

beforeAll(async () => {
  backend = await createCpuBackend({ profile: true });
  await setBackend(backend);
});

afterAll(async () => {
  await setBackend('cpu');
});

/** Kernels run (and the sizes of their inputs) while `fn` runs. */
function kernelCalls(fn: () => void): { kernel: string; sizes: number[] }[] {
  const calls: { kernel: string; sizes: number[] }[] = [];
  const run = backend.run.bind(backend);
  backend.run = ((name: string, inputs: readonly { storage: { size: number } }[], ...attrs: unknown[]) => {
    calls.push({ kernel: name, sizes: inputs.map((i) => i.storage.size) });
    return (run as (...args: unknown[]) => unknown)(name, inputs, ...attrs);
  }) as typeof backend.run;
  try {
    fn();
  } finally {
    backend.run = run;
  }
  return calls;
}

describe('matmul with a half-precision operand', () => {
  for (const dtype of ['bfloat16', 'float16'] as const) {
    it(`reads a ${dtype} b as stored: the float32 product of its values, with no cast`, async () => {
      const x = tensor(X, [2, 4]);
      const w32 = tensor(W, [3, 4]);
      const w16 = tensor(W, [3, 4], { dtype });
      let y16 = w16;
      const calls = kernelCalls(() => {
        y16 = matmul(x, w16, { transposeB: true });
      });
      expect(calls.map((c) => c.kernel)).toEqual(['matmul']);
      expect(y16.dtype).toBe('float32');
      expect(Array.from(await y16.data())).toEqual(Array.from(await matmul(x, w32, { transposeB: true }).data()));
    });
  }

  it('returns the gradient of a half-precision weight in its dtype', async () => {
    const x = tensor(X, [2, 4]);
    const w32 = tensor(W, [3, 4], { requiresGrad: true });
    const w16 = tensor(W, [3, 4], { dtype: 'bfloat16', requiresGrad: true });
    matmul(x, w32, { transposeB: true }).sum().backward();
    matmul(x, w16, { transposeB: true }).sum().backward();
    expect(w16.grad!.dtype).toBe('bfloat16');
    // The float32 gradient (column sums of x) rounded to bfloat16: exact here.
    expect(Array.from(await w16.grad!.data())).toEqual(Array.from(await w32.grad!.data()));
  });

  it('refuses an int32 operand, naming it', () => {
    const x = tensor(X, [2, 4]);
    const ids = tensor(Int32Array.from([1, 2, 3, 4]), [4, 1]);
    expect(() => matmul(x, ids)).toThrow(/matmul: b must be a float tensor, got .*int32/);
  });
});

describe('layers over half-precision weights', () => {
  it('Linear multiplies by a bfloat16 weight with no widened copy, also in the input gradient', async () => {
    const lin = new Linear(4, 3, { weight: tensor(W, [3, 4], { dtype: 'bfloat16' }) });
    const x = tensor(X, [2, 4], { requiresGrad: true });
    let loss = x;
    const forward = kernelCalls(() => {
      loss = lin.forward(x).sum();
    });
    const backward = kernelCalls(() => loss.backward());
    for (const c of [...forward, ...backward]) expect(c.kernel).not.toBe('cast');
    // d sum(x W^T) / dx: each row is the column sums of W.
    const columnSums = [0.5 + 2 - 2, -1.25 - 0.75 + 1.5, 3 + 1 + 0.375, 0.125 + 0.25 - 0.5];
    expect(Array.from(await x.grad!.data())).toEqual([...columnSums, ...columnSums]);
  });

  it('RMSNorm scales by a bfloat16 weight as stored (no cast), as by its float32 values', async () => {
    const scale = [0.5, -1.25, 3, 0.125]; // exact in bfloat16
    const norm = new RMSNorm(4, 1e-6, { weight: tensor(scale, [4], { dtype: 'bfloat16' }) });
    const x = tensor(X, [2, 4], { requiresGrad: true });
    let y = x;
    const forward = kernelCalls(() => {
      y = norm.forward(x);
    });
    const backward = kernelCalls(() => y.sum().backward());
    expect(forward.map((c) => c.kernel)).toEqual(['rmsNorm']);
    expect(backward.map((c) => c.kernel)).not.toContain('cast');
    const x32 = tensor(X, [2, 4], { requiresGrad: true });
    const y32 = rmsNorm(x32, tensor(scale, [4]), 1e-6);
    y32.sum().backward();
    expect(Array.from(await y.data())).toEqual(Array.from(await y32.data()));
    expect(Array.from(await x.grad!.data())).toEqual(Array.from(await x32.grad!.data()));
  });

  it('a bfloat16 norm weight that takes a gradient is widened, and its gradient flows back to it', async () => {
    const w = tensor([0.5, -1.25, 3, 0.125], [4], { dtype: 'bfloat16', requiresGrad: true });
    const w32 = tensor([0.5, -1.25, 3, 0.125], [4], { requiresGrad: true });
    rmsNorm(tensor(X, [2, 4]), w)
      .sum()
      .backward();
    rmsNorm(tensor(X, [2, 4]), w32)
      .sum()
      .backward();
    expect(w.grad!.dtype).toBe('bfloat16');
    const want = Array.from(await w32.grad!.cast('bfloat16').data());
    expect(Array.from(await w.grad!.data())).toEqual(want);
  });

  it('Embedding widens only the rows it looks up from a bfloat16 table', async () => {
    const table = tensor(W, [6, 2], { dtype: 'bfloat16' });
    const embed = new Embedding(6, 2, { weight: table });
    const ids = tensor(Int32Array.from([5, 0]), [1, 2]);
    let rows = ids;
    const calls = kernelCalls(() => {
      rows = embed.forward(ids);
    });
    expect(calls).toEqual([
      { kernel: 'gatherRows', sizes: [12, 2] },
      { kernel: 'cast', sizes: [4] },
    ]);
    expect(rows.dtype).toBe('float32');
    expect(Array.from(await rows.data())).toEqual([0.375, -0.5, 0.5, -1.25]);
  });
});

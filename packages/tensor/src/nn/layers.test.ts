import { beforeAll, describe, expect, it } from 'vitest';
import {
  Embedding,
  getBackend,
  Linear,
  Parameter,
  RMSNorm,
  setBackend,
  tensor,
  type ForwardContext,
} from '../index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('layers built from given weights', () => {
  it('a plain tensor is taken over with its requiresGrad; a Parameter is shared (tied weights)', async () => {
    const table = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const embed = new Embedding(3, 2, { weight: table });
    expect(table.isDisposed).toBe(true); // the handle was consumed; the storage lives on in the layer
    expect(embed.weight).toBeInstanceOf(Parameter);
    expect(embed.weight.requiresGrad).toBe(false); // as given: a loaded checkpoint stays frozen
    const head = new Linear(2, 3, { weight: embed.weight });
    expect(head.weight).toBe(embed.weight);
    const ids = tensor(Int32Array.from([2]), [1, 1]);
    expect(Array.from(await head.forward(embed.forward(ids)).data())).toEqual([5 + 12, 15 + 24, 25 + 36]);
    const trainable = tensor([1, 1], [2], { requiresGrad: true });
    expect(new RMSNorm(2, 1e-6, { weight: trainable }).weight.requiresGrad).toBe(true);
  });

  it('names the layer and both shapes when a given weight does not fit', () => {
    expect(() => new Linear(4, 3, { weight: tensor(new Float32Array(12), [4, 3]) })).toThrow(
      /Linear weight: .*has shape \[4, 3\], the layer needs \[3, 4\]/,
    );
    expect(() => new RMSNorm(4, 1e-6, { weight: tensor([1, 1], [2]) })).toThrow(/RMSNorm weight: .*needs \[4\]/);
  });

  it('a bfloat16 embedding widens only the rows it looks up, never the whole table', async () => {
    const rows = 4096;
    const dim = 64;
    const values = Float32Array.from({ length: rows * dim }, (_, i) => ((i % 251) - 125) / 64);
    const embed = new Embedding(rows, dim, { weight: tensor(values, [rows, dim], { dtype: 'bfloat16' }) });
    const backend = getBackend();
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    const out = embed.forward(tensor(Int32Array.from([5, 4095, 0]), [3]));
    // The widened table would be rows * dim * 4 bytes; the ids and three rows (as bfloat16, then float32) are all it makes.
    expect(backend.memory().peakBytes - before).toBeLessThanOrEqual(3 * 4 + 3 * dim * (2 + 4));
    expect(out.dtype).toBe('float32');
    const got = await out.data();
    for (const [k, id] of [5, 4095, 0].entries())
      expect(Array.from(got.slice(k * dim, (k + 1) * dim))).toEqual(Array.from(values.slice(id * dim, (id + 1) * dim)));
  });

  it('bfloat16 weights compute as their float32 values', async () => {
    const values = [0.5, -1.25, 3, 0.125, 2, -0.75]; // exact in bfloat16
    const f32 = new Linear(3, 2, { weight: tensor(values, [2, 3]) });
    const bf16 = new Linear(3, 2, { weight: tensor(values, [2, 3], { dtype: 'bfloat16' }) });
    expect(bf16.weight.dtype).toBe('bfloat16');
    const x = tensor([1, 2, 3, -1, 0, 4], [2, 3]);
    expect(Array.from(await bf16.forward(x).data())).toEqual(Array.from(await f32.forward(x).data()));
  });

  it('Linear names its input error and hands the context to its adapter', async () => {
    const lin = new Linear(2, 2, { weight: tensor([1, 0, 0, 1], [2, 2]) });
    lin.name = 'model.layers.0.mlp.up_proj';
    expect(() => lin.forward(tensor([1, 2, 3], [1, 3]))).toThrow(
      /Linear 'model.layers.0.mlp.up_proj': input is \[1, 3\], its last axis must be 2/,
    );
    const seen: ForwardContext[] = [];
    lin.adapter = {
      forward: (_x, y, ctx) => {
        seen.push(ctx);
        return y.mul(10);
      },
    };
    const ctx = { training: true, seed: 7 };
    expect(Array.from(await lin.forward(tensor([1, 2], [1, 1, 2]), ctx).data())).toEqual([10, 20]);
    expect(seen).toEqual([ctx]);
  });

  it('RMSNorm.forwardSum: the sum and its norm in one launch, as add then forward; the input as it is without update', async () => {
    const norm = new RMSNorm(3, 1e-6, { weight: tensor([0.5, 2, -1], [3]) });
    const x = tensor([1, -2, 3, 0.25, 4, -1], [2, 3]);
    const update = tensor([0.5, 1, -2, 3, -0.5, 2], [2, 3]);
    const [sum, normed] = norm.forwardSum(x, update);
    const added = x.add(update);
    expect(Array.from(await sum.data())).toEqual(Array.from(await added.data()));
    expect(Array.from(await normed.data())).toEqual(Array.from(await norm.forward(added).data()));
    const [same, alone] = norm.forwardSum(x, null);
    expect(same).toBe(x);
    expect(Array.from(await alone.data())).toEqual(Array.from(await norm.forward(x).data()));
  });
});

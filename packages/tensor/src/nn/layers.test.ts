import { beforeAll, describe, expect, it } from 'vitest';
import { Embedding, Linear, Parameter, RMSNorm, setBackend, tensor, type ForwardContext } from '../index.js';

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
});

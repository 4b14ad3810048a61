import { beforeAll, describe, expect, it } from 'vitest';
import {
  KVCache,
  TransformerBlock,
  concat,
  gradcheck,
  matmul,
  mul,
  noGrad,
  randn,
  setBackend,
  slice,
  sum,
  tensor,
  zeros,
  type ForwardContext,
  type LinearAdapter,
  type ResidualStream,
  type Tensor,
  type TransformerBlockConfig,
} from '../index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

// Qwen3's shape: GQA, a head size apart from dim / heads, q/k norms.
const QWEN_LIKE: TransformerBlockConfig = {
  dim: 8,
  heads: 4,
  kvHeads: 2,
  headDim: 6,
  mlpHidden: 10,
  ropeTheta: 1e6,
  normEps: 1e-6,
  qkNorm: true,
  seed: 3,
};

const sinTensor = (shape: number[], phase = 0) =>
  tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(0.7 * i + phase)),
    shape,
  );
const positionsOf = (b: number, t: number, offset = 0) =>
  tensor(
    Int32Array.from({ length: b * t }, (_, i) => offset + (i % t)),
    [b, t],
  );

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('TransformerBlock names and shapes', () => {
  it('names its parameters in either layout, in the order and shapes parameterShapes gives', () => {
    for (const names of ['short', 'transformers'] as const) {
      const config = { ...QWEN_LIKE, names };
      const block = new TransformerBlock(config);
      const actual = block.namedParameters().map(([n, t]) => [n, [...t.shape]]);
      expect(actual).toEqual([...TransformerBlock.parameterShapes(config)]);
      block.dispose();
    }
    expect([...TransformerBlock.parameterShapes({ ...QWEN_LIKE, names: 'transformers' })]).toEqual([
      ['input_layernorm.weight', [8]],
      ['self_attn.q_proj.weight', [24, 8]],
      ['self_attn.k_proj.weight', [12, 8]],
      ['self_attn.v_proj.weight', [12, 8]],
      ['self_attn.o_proj.weight', [8, 24]],
      ['self_attn.q_norm.weight', [6]],
      ['self_attn.k_norm.weight', [6]],
      ['post_attention_layernorm.weight', [8]],
      ['mlp.gate_proj.weight', [10, 8]],
      ['mlp.up_proj.weight', [10, 8]],
      ['mlp.down_proj.weight', [8, 10]],
    ]);
    // Without q/k norms those two are absent.
    expect([...TransformerBlock.parameterShapes({ dim: 8, heads: 2 }).keys()]).toEqual([
      'attnNorm.weight',
      'q.weight',
      'k.weight',
      'v.weight',
      'o.weight',
      'mlpNorm.weight',
      'gate.weight',
      'up.weight',
      'down.weight',
    ]);
  });

  it('builds from given weights (a checkpoint) and computes what the original computes', async () => {
    const config = { ...QWEN_LIKE, names: 'transformers' as const };
    const original = new TransformerBlock(config);
    // Make the norms non-trivial so a mixed-up weight would show.
    for (const [name, p] of original.namedParameters())
      if (name.includes('norm')) p.assign(sinTensor([...p.shape], 1).add(1.5));
    const state = new Map(original.namedParameters().map(([n, t]) => [n, t.clone().detach()]));
    const asked: string[] = [];
    const copy = new TransformerBlock(config, {
      weights: (name, shape) => {
        asked.push(name);
        expect([...state.get(name)!.shape]).toEqual([...shape]);
        return state.get(name)!;
      },
    });
    expect(asked).toEqual([...TransformerBlock.parameterShapes(config).keys()]);
    // Given weights keep requiresGrad (a clone does not require grad): the copy is frozen.
    expect(copy.trainableParameters()).toEqual([]);
    const x = sinTensor([2, 5, 8]);
    const positions = positionsOf(2, 5);
    const a = noGrad(() => original.forward(x, positions));
    const b = noGrad(() => copy.forward(x, positions));
    expect(maxAbsDiff(await a.data(), await b.data())).toBe(0);
  });

  it('names the part, the shape given and the shape needed when a given weight does not fit', () => {
    expect(
      () =>
        new TransformerBlock(
          { ...QWEN_LIKE, names: 'transformers' },
          { weights: (name, shape) => (name === 'self_attn.k_proj.weight' ? randn([7, 8]) : randn([...shape])) },
        ),
    ).toThrow(/Linear weight: .*\[7, 8\], the layer needs \[12, 8\]/);
  });

  it('rejects shapes that do not divide, naming the sizes', () => {
    expect(() => new TransformerBlock({ dim: 8, heads: 3 })).toThrow(/dim 8 must divide into 3 heads/);
    expect(() => new TransformerBlock({ dim: 8, heads: 4, kvHeads: 3 })).toThrow(/heads 4 must divide into 3 KV heads/);
    expect(() => new TransformerBlock({ dim: 8, heads: 4, headDim: 0 })).toThrow(/headDim must be a positive integer/);
    expect(() => new TransformerBlock({ dim: 8, heads: 4, headDim: 5 })).toThrow(/headDim 5 must be even/);
    // A head size of its own lifts the dim / heads rule (Qwen3-0.6B: 1024 = 16 x 64, head_dim 128).
    expect(new TransformerBlock({ dim: 8, heads: 3, headDim: 6 }).q.weight.shape).toEqual([18, 8]);
  });
});

describe('TransformerBlock forward', () => {
  it('passes gradcheck with GQA, q/k norms and its own head size (input and weights)', async () => {
    const block = new TransformerBlock(QWEN_LIKE);
    const positions = positionsOf(2, 4);
    const x = sinTensor([2, 4, 8]);
    await gradcheck((xi) => block.forward(xi!, positions), [x], { atol: 5e-3 });
    const qNorm = block.qNorm!;
    const check = await gradcheck(
      (w) => {
        const saved = qNorm.weight;
        qNorm.weight = w as typeof saved;
        try {
          return block.forward(x, positions);
        } finally {
          qNorm.weight = saved;
        }
      },
      [qNorm.weight],
      { atol: 5e-3 },
    );
    expect(check.checked).toBe(6);
  });

  it('forwardStream: an unsummed input gives forward of the sum (bit for bit on cpu) and gradients to both halves', async () => {
    const block = new TransformerBlock(QWEN_LIKE);
    const positions = positionsOf(2, 4);
    const residual = sinTensor([2, 4, 8]);
    const update = sinTensor([2, 4, 8], 1.3);
    const summed = noGrad(() => block.forward(residual.add(update), positions));
    const stream = noGrad(() => block.forwardStream({ residual, update }, positions));
    expect(stream.update).not.toBeNull();
    expect(await noGrad(() => stream.residual.add(stream.update!)).data()).toEqual(await summed.data());
    // A stream without update is forward's input as it is.
    const alone = noGrad(() => block.forwardStream({ residual, update: null }, positions));
    expect(await noGrad(() => alone.residual.add(alone.update!)).data()).toEqual(
      await noGrad(() => block.forward(residual, positions)).data(),
    );
    await gradcheck(
      (r, u) => {
        const out = block.forwardStream({ residual: r!, update: u! }, positions);
        return out.residual.add(out.update!);
      },
      [residual, update],
      { atol: 5e-3 },
    );
    // With gradient checkpointing the block sums its input and hands its output back summed.
    block.gradientCheckpointing = true;
    const checkpointed = noGrad(() => block.forwardStream({ residual, update }, positions));
    expect(checkpointed.update).toBeNull();
    expect(await checkpointed.residual.data()).toEqual(await summed.data());
    expect(() => block.forwardStream({ residual, update: sinTensor([2, 4, 6]) }, positions)).toThrow(
      'TransformerBlock: stream.update must be [B, T, 8], got [2, 4, 6]',
    );
  });

  it('a stack of blocks on an unsummed stream launches no add: each norm adds its input pair', async () => {
    const profiled = (await setBackend('cpu', { profile: true })) as unknown as {
      kernelProfile(): { kernel: string; calls: number }[];
    };
    try {
      const blocks = [0, 1, 2].map((i) => new TransformerBlock({ ...QWEN_LIKE, seed: 10 + i }));
      const positions = positionsOf(1, 3);
      noGrad(() => {
        let stream: ResidualStream = { residual: sinTensor([1, 3, 8]), update: null };
        for (const block of blocks) stream = block.forwardStream(stream, positions);
      });
      const calls = new Map(profiled.kernelProfile().map((p) => [p.kernel, p.calls]));
      expect(calls.get('add')).toBeUndefined();
      // The first block's norm has no pair to add; the others add theirs, and each block's MLP norm its own.
      expect(calls.get('rmsNorm')).toBe(1);
      expect(calls.get('addRmsNorm')).toBe(5);
    } finally {
      await setBackend('cpu');
    }
  });

  it('a KV cache fed one token at a time gives the full forward (rows of a batch alike)', async () => {
    const block = new TransformerBlock(QWEN_LIKE);
    const t = 6;
    const x = sinTensor([2, t, 8]);
    const full = noGrad(() => block.forward(x, positionsOf(2, t)));
    const cache = KVCache.empty(2, 2, 6);
    const steps: Tensor[] = [];
    noGrad(() => {
      // A prompt of 2, then single tokens, as generation runs.
      steps.push(block.forward(slice(x, [0, 0, 0], [2, 2, 8]), positionsOf(2, 2), { cache }));
      for (let i = 2; i < t; i++) {
        steps.push(block.forward(slice(x, [0, i, 0], [2, 1, 8]), positionsOf(2, 1, i), { cache }));
      }
    });
    expect(cache.length).toBe(t);
    // Grown by doubling from the prompt's 2 positions: 2, 4, 8.
    expect(cache.capacity).toBe(8);
    expect(maxAbsDiff(await concat(steps, 1).data(), await full.data())).toBeLessThan(1e-5);
    // Dropping a row (it finished generating) keeps the other row's keys and values.
    const [kBefore, vBefore] = [await cache.k.data(), await cache.v.data()];
    cache.selectRows([1]);
    expect(cache.k.shape).toEqual([1, 2, 8, 6]);
    expect(cache.length).toBe(t);
    const half = kBefore.length / 2;
    expect(Array.from(await cache.k.data())).toEqual(Array.from(kBefore.subarray(half)));
    expect(Array.from(await cache.v.data())).toEqual(Array.from(vBefore.subarray(half)));
    cache.dispose();
  });

  it('a KV cache with room writes each step in place: no new buffers, the same outputs as one that grows', async () => {
    const block = new TransformerBlock(QWEN_LIKE);
    const t = 7;
    const x = sinTensor([2, t, 8]);
    const run = async (cache: KVCache) => {
      const steps: Tensor[] = [];
      const buffers = new Set<unknown>();
      noGrad(() => {
        steps.push(block.forward(slice(x, [0, 0, 0], [2, 3, 8]), positionsOf(2, 3), { cache }));
        for (let i = 3; i < t; i++) {
          steps.push(block.forward(slice(x, [0, i, 0], [2, 1, 8]), positionsOf(2, 1, i), { cache }));
          buffers.add(cache.k.ref.storage).add(cache.v.ref.storage);
        }
      });
      return { out: await concat(steps, 1).data(), buffers: buffers.size };
    };
    const roomy = KVCache.empty(2, 2, 6, { capacity: t });
    const growing = KVCache.empty(2, 2, 6);
    const a = await run(roomy);
    const b = await run(growing);
    expect(a.buffers).toBe(2); // one k and one v storage, written in place every step
    expect(b.buffers).toBeGreaterThan(2); // 3 -> 6 -> 12 positions
    expect(growing.capacity).toBe(12);
    expect(Array.from(a.out)).toEqual(Array.from(b.out));
    expect(roomy.length).toBe(t);
    roomy.dispose();
    growing.dispose();
  });

  it('KVCache names what does not fit', () => {
    const cache = KVCache.empty(1, 2, 4, { capacity: 2 });
    expect(() => cache.append(zeros([1, 3, 1, 4]), zeros([1, 3, 1, 4]))).toThrow(
      /KVCache.append: k is \[1, 3, 1, 4\], the cache holds \[1, 2, S, 4\]/,
    );
    expect(() => KVCache.empty(1, 2, 4, { capacity: -1 })).toThrow(/options.capacity must be an integer >= 0/);
    cache.dispose();
  });

  it('gradient checkpointing gives the plain gradients to an adapter on a frozen block', async () => {
    const block = new TransformerBlock(QWEN_LIKE);
    // Everything frozen but the adapter (as with LoRA): the checkpoint must still reach the adapter.
    block.requiresGrad_(false);
    // A low-rank adapter on q: what @molrl/lora attaches, in miniature.
    const a = randn([2, 8], { seed: 9, std: 0.3, requiresGrad: true }).keep();
    const b = randn([24, 2], { seed: 10, std: 0.3 }).keep();
    const adapter: LinearAdapter & { seen: ForwardContext[] } = {
      seen: [],
      forward(xx, y, ctx) {
        this.seen.push(ctx);
        const low = matmul(xx.reshape([-1, 8]), a, { transposeB: true }); // [N, 2]
        return y.add(matmul(low, b, { transposeB: true }).reshape([...y.shape])); // + x A^T B^T
      },
      parameters: () => [a],
    };
    block.q.adapter = adapter;
    const x = sinTensor([2, 4, 8]);
    const w = sinTensor([2, 4, 8], 2);
    const positions = positionsOf(2, 4);
    const ctx = { training: true, seed: 5 };
    const grads = async () => {
      sum(mul(block.forward(x, positions, { ctx }), w)).backward();
      const out = await a.grad!.data();
      a.zeroGrad();
      return out;
    };
    const plain = await grads();
    block.gradientCheckpointing = true;
    adapter.seen.length = 0;
    const recomputed = await grads();
    // Forward once, again in the backward, with the same context both times.
    expect(adapter.seen).toEqual([ctx, ctx]);
    expect(maxAbsDiff(plain, recomputed)).toBeLessThan(1e-6);
    expect(Math.max(...plain.map(Math.abs))).toBeGreaterThan(0);
  });
});

import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { setBackend, zeros } from '@molrl/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures.test-util.js';
import { webgpuMissing } from './webgpu.test-util.js';
import { qwen3Config } from './config.js';
import { Qwen3ForCausalLM, type GenerateOptions } from './model.js';
import { SamplerPool } from './sampling/sampler-pool.js';
import { randomWeights } from './weights.js';
import { SeededRandom } from './sampling/prng.js';
import { sampleToken } from './sampling/samplers.js';

type Profiled = Awaited<ReturnType<typeof setBackend>> & { kernelProfile(): { kernel: string; calls: number }[] };

/**
 * Sampling with top-k reads each row's candidates (`selectTopK`) instead of
 * its logits; the tokens are those the full rows give (generate.test.ts holds
 * them to recorded tokens). Here: that the selection is what runs, and that a
 * row whose ties run past the candidate slots draws from its full row.
 */
describe('generate with top-k: candidates selected on the backend', () => {
  let backend: Profiled;
  beforeAll(async () => {
    backend = (await setBackend('cpu', { profile: true })) as Profiled;
  });
  afterAll(async () => {
    await backend.dispose();
  });
  const calls = (kernel: string) => backend.kernelProfile().find((p) => p.kernel === kernel)?.calls ?? 0;

  it('selects each step on the backend, with the penalised tokens gathered beside it', async () => {
    const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    const before = { select: calls('selectTopK'), gather: calls('gatherRows') };
    const out = await m.generate([[5, 6, 7], [9]], {
      maxNewTokens: 6,
      temperature: 0.6,
      topK: 20,
      topP: 0.95,
      presencePenalty: 1,
      stopTokenIds: [],
      seed: 3,
    });
    expect(out.map((r) => r.length)).toEqual([6, 6]);
    expect(calls('selectTopK') - before.select).toBe(6);
    // the first step has no generated tokens to penalise; the embedding lookups are gathers too
    expect(calls('gatherRows') - before.gather).toBeGreaterThanOrEqual(6 + 5);
    m.dispose();
  });

  it('draws from the full row where every logit ties (the candidates overflow)', async () => {
    const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    // a zero (tied) embedding makes every logit 0: all 128 tokens tie with the k-th
    const weight = m.module.embedding.weight;
    weight.assign(zeros(weight.shape));
    const options = { maxNewTokens: 5, temperature: 1, topK: 5, stopTokenIds: [], seed: 9 };
    const before = calls('selectTopK');
    const out = await m.generate([[1, 2], [3]], options);
    expect(calls('selectTopK') - before).toBe(5);
    // what the host sampler draws from rows of zeros with each row's generator
    const expected = [0, 1].map((i) => {
      const rng = new SeededRandom(9 * 0x10001 + i * 0x9e3779b1);
      const row = new Float32Array(128);
      return Array.from({ length: 5 }, () => sampleToken(row, options, { promptTokens: [], generatedTokens: [] }, rng));
    });
    expect(out).toEqual(expected);
    expect(new Set(out.flat()).size).toBeGreaterThan(5); // more than the top 5 positions: ties kept
    m.dispose();
  });
});

describe('generate with top-k on webgpu (the device selects, the host draws)', () => {
  it.skipIf(webgpuMissing !== null)(
    `gives the recorded tokens of every top-k setting${webgpuMissing ? ` (skipped: ${webgpuMissing})` : ''}`,
    async () => {
      const backend = await setBackend('webgpu');
      try {
        const recorded = (
          JSON.parse(readFileSync(join(FIXTURES, 'generated-tokens.json'), 'utf8')) as {
            model: string;
            name: string;
            options: GenerateOptions;
            prompts: number[][];
            tokens: number[][];
          }[]
        ).filter((r) => (r.options.topK ?? 0) > 0 && (r.options.temperature ?? 1) > 0);
        expect(recorded.length).toBe(16);
        for (const model of ['tiny-f32', 'tiny-bf16']) {
          const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, model), { dtype: 'auto' });
          for (const r of recorded.filter((x) => x.model === model)) {
            expect(await m.generate(r.prompts, r.options), `${model} ${r.name}, seed ${r.options.seed}`).toEqual(
              r.tokens,
            );
          }
          m.dispose();
        }
      } finally {
        await backend.dispose();
        await setBackend('cpu');
      }
    },
  );
});

describe('generate without top-k at a large vocabulary: rows sampled on worker threads', () => {
  it('draws the tokens this thread alone draws', async () => {
    await setBackend('cpu');
    const config = qwen3Config({
      vocab_size: 20_000,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 16,
      tie_word_embeddings: true,
    });
    const m = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 4 }));
    const pool = new SamplerPool(2);
    try {
      const prompts = [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
        [10, 11, 12],
      ];
      for (const options of [
        { temperature: 1.2 },
        { temperature: 0.8, topP: 0.9, presencePenalty: 0.5 },
      ] as GenerateOptions[]) {
        const base = { ...options, maxNewTokens: 5, stopTokenIds: [], seed: 8 };
        const alone = await m.generate(prompts, { ...base, samplerPool: null });
        const pooled = await m.generate(prompts, { ...base, samplerPool: pool, onStep: () => undefined });
        expect(pooled).toEqual(alone);
      }
      expect(pool.rowsSampled).toBe(2 * 5 * 4);
      // each step's logits were read straight into shared memory: none copied into the pool's
      expect(pool.bytesCopied).toBe(0);
    } finally {
      await pool.close();
      m.dispose();
    }
  });
});

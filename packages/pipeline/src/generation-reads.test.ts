/**
 * Generation waits for the device once per decode step for the whole batch:
 * the sampler draws on the host from the step's logits (that read is the
 * contract's; greedy decoding reads only the device's pick per row, top-k
 * sampling each row's candidates, its few reads issued together), and
 * nothing else in the loop (KV cache, positions, finished rows) reads the device. Counted through the evaluation's generator on the
 * embedded model, with a backend wrapper that counts reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelGenerator } from '@molrl/bench-math';
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { getBackend, setBackend } from '@molrl/tensor';
import { countReads, type ReadCounter } from '@molrl/train';
import { DEFAULT_MODEL_DIR } from './config.js';
import { loadBase } from './load.js';

let counter: ReadCounter;
let plain: ReturnType<typeof getBackend>;

beforeAll(async () => {
  plain = await setBackend('cpu');
  counter = countReads(plain);
  await setBackend(counter.backend);
});
afterAll(async () => {
  await setBackend(plain);
});

/** Prompts of three lengths (left padding). */
const PROMPTS = [
  [5, 6, 7, 8],
  [9, 10],
  [11, 12, 13],
];

describe('reads per generated token', () => {
  it('model.generate: one read per decode step, whatever the batch size', { timeout: 120_000 }, async () => {
    const { model } = await loadBase(DEFAULT_MODEL_DIR);
    for (const rows of [1, 3]) {
      counter.reset();
      // No stop token: every row runs the full length.
      const out = await model.generate(PROMPTS.slice(0, rows), { maxNewTokens: 6, stopTokenIds: [], seed: 1 });
      expect(out.map((o) => o.length)).toEqual(new Array(rows).fill(6));
      expect(counter.reads).toBe(6);
      // Sampling reads each row's logits.
      expect(counter.elementsRead).toBe(6 * rows * model.config.vocab_size);
    }
  });

  it(
    'model.generate at a large vocabulary: the logits read into the sampler pool count too',
    { timeout: 120_000 },
    async () => {
      // From 16,384 tokens and two rows, generate reads each step's logits into shared memory (readInto):
      // the embedded model's shape at a vocabulary past that.
      const { model: embedded } = await loadBase(DEFAULT_MODEL_DIR);
      const { extra: _extra, ...shape } = embedded.config;
      const config = qwen3Config({ ...shape, vocab_size: 20_000 });
      const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 4 }));
      counter.reset();
      const out = await model.generate(PROMPTS, { maxNewTokens: 5, stopTokenIds: [], seed: 3 });
      expect(out.map((o) => o.length)).toEqual([5, 5, 5]);
      expect(counter.reads).toBe(5);
      expect(counter.elementsRead).toBe(5 * 3 * 20_000);
    },
  );

  it('model.generate, greedy: each step reads one token id per row, not the logits', { timeout: 120_000 }, async () => {
    const { model } = await loadBase(DEFAULT_MODEL_DIR);
    counter.reset();
    const out = await model.generate(PROMPTS, { maxNewTokens: 6, stopTokenIds: [], temperature: 0 });
    expect(counter.reads).toBe(6);
    expect(counter.elementsRead).toBe(6 * 3);
    // The host's greedy pick over the full logits gives the same tokens (a presence penalty too small to
    // change a float32 logit sends generation down the host's path).
    const onHost = await model.generate(PROMPTS, {
      maxNewTokens: 6,
      stopTokenIds: [],
      temperature: 0,
      presencePenalty: 1e-30,
    });
    expect(out).toEqual(onHost);
  });

  it(
    "model.generate with top-k: each step reads the rows' candidates, not the logits",
    { timeout: 120_000 },
    async () => {
      const { model } = await loadBase(DEFAULT_MODEL_DIR);
      counter.reset();
      // The paper's evaluation sampling: top-k 20 and a presence penalty (each row's generated tokens are read too).
      const options = { maxNewTokens: 6, stopTokenIds: [], seed: 2, temperature: 0.6, topP: 0.95, topK: 20 };
      const out = await model.generate(PROMPTS, { ...options, presencePenalty: 1 });
      expect(out.map((o) => o.length)).toEqual([6, 6, 6]);
      // counts, indices, values, and from the second step the penalised tokens' logits: issued together
      expect(counter.reads).toBe(3 + 5 * 4);
      // per row at most: (k + 32 slots) x (index + value) + count + the penalised logits, k = 20 + penalised
      let bound = 0;
      for (let step = 0; step < 6; step++) bound += 3 * (2 * (20 + step + 32) + 1 + step);
      expect(counter.elementsRead).toBeLessThanOrEqual(bound);
      expect(counter.elementsRead).toBeLessThan((6 * 3 * model.config.vocab_size) / 5);
    },
  );

  it('the evaluation generator: one read per decode step of each batch', { timeout: 120_000 }, async () => {
    const { model, tokenizer } = await loadBase(DEFAULT_MODEL_DIR);
    const generator = modelGenerator(model, tokenizer, { batchSize: 2, stopTokenIds: [] });
    counter.reset();
    const prompts = ['What is 2 + 3?', 'Name a prime.', 'Add 4 and 4.'];
    const completions = await generator.generate(prompts, {
      maxTokens: 5,
      temperature: 0,
      topP: 1,
      topK: 0,
      presencePenalty: 0,
      thinking: false,
    });
    expect(completions).toHaveLength(3);
    // Two batches (2 + 1 prompts) of five steps.
    expect(counter.reads).toBe(10);
  });
});

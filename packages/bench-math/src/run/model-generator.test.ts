import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { setBackend } from '@molrl/tensor';
import { Tokenizer, trainBpeTokenizer } from '@molrl/tokenize';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltin } from '../datasets.js';
import { evaluate } from './evaluate.js';
import { PAPER_PROFILE } from './generator.js';
import { mathSuite } from './suite.js';
import { modelGenerator } from './model-generator.js';

describe('modelGenerator over @molrl/model and @molrl/tokenize', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  it('renders the chat template, generates with the profile and decodes each row', async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `What is ${i} + ${i + 1}? The answer is \\boxed{${2 * i + 1}}.`);
    const trained = trainBpeTokenizer(texts, { vocabSize: 300, progress: { mode: 'silent' } });
    const tokenizer = Tokenizer.fromJSON(trained.tokenizerJson, trained.tokenizerConfig);
    const eos = tokenizer.encode('<|im_end|>', { addSpecialTokens: false });
    expect(eos).toHaveLength(1);
    // The model's vocabulary is the tokenizer's (BPE training stops short of 300 when merges run out), so
    // every id it samples decodes.
    const config = qwen3Config({
      vocab_size: tokenizer.vocabSize,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 16,
      eos_token_id: eos[0],
      tie_word_embeddings: true,
    });
    const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 3 }));
    const calls: Array<{ rows: number; options: Record<string, unknown> }> = [];
    const spied = {
      generate: async (ids: number[][], options: Parameters<Qwen3ForCausalLM['generate']>[1]) => {
        calls.push({ rows: ids.length, options: { ...options } });
        return model.generate(ids, options);
      },
    };
    const gen = modelGenerator(spied, tokenizer, { batchSize: 2, maxNewTokens: 6, name: 'tiny' });
    const prompts = ['What is 1 + 2?', 'What is 3 + 4?', 'What is 5 + 6?'];
    const out = await gen.generate(prompts, PAPER_PROFILE);
    expect(out).toHaveLength(3);
    expect(calls.map((c) => c.rows)).toEqual([2, 1]);
    expect(calls[0]!.options).toMatchObject({
      maxNewTokens: 6,
      temperature: 0.6,
      topP: 0.95,
      topK: 20,
      presencePenalty: 1,
    });
    // Each completion is what the model generates for that prompt alone (rows are independent).
    const alone = await model.generate(
      [
        tokenizer.encode(
          tokenizer.applyChatTemplate([{ role: 'user', content: prompts[2]! }], {
            addGenerationPrompt: true,
            enableThinking: true,
          }),
          { addSpecialTokens: false },
        ),
      ],
      { maxNewTokens: 6, temperature: 0.6, topP: 0.95, topK: 20, presencePenalty: 1, seed: 2 },
    );
    expect(out[2]).toBe(tokenizer.decode(alone[0]!, { skipSpecialTokens: true }));
    expect(gen.name).toBe('tiny');

    // It plugs into evaluate like any generator (an untrained model finds no answers).
    const report = await evaluate({
      generator: gen,
      suites: [mathSuite(await loadBuiltin('math500'), { limit: 2 })],
      profile: { ...PAPER_PROFILE, maxTokens: 4 },
      progress: { mode: 'silent' },
    });
    expect(report.results[0]).toMatchObject({ suite: 'MATH-500', items: 2, pass1: 0 });

    // With a seed per prompt, a completion depends on its prompt and seed alone, not on its batch: batches of
    // 2 and of 3, and the last prompt alone (as a resumed evaluation would ask for it), give the same text.
    const seeds = [11, 22, 33];
    const sampled = { ...PAPER_PROFILE, seeds };
    const byTwo = await gen.generate(prompts, sampled);
    const byThree = await modelGenerator(model, tokenizer, { batchSize: 3, maxNewTokens: 6 }).generate(
      prompts,
      sampled,
    );
    const last = await gen.generate([prompts[2]!], { ...PAPER_PROFILE, seeds: [33] });
    expect(byThree).toEqual(byTwo);
    expect(last[0]).toBe(byTwo[2]);
    expect(calls.at(-1)!.options).toMatchObject({ seeds: [33] });
  });
});

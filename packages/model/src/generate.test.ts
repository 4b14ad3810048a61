import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend, setBackend } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures.test-util.js';
import { Qwen3ForCausalLM, type GenerateOptions } from './model.js';

/**
 * Tokens generated from the fixture models for every sampler setting, two
 * seeds each, three prompts of different lengths (left padding) with stop
 * tokens that end rows at different steps. Recorded with the KV cache that
 * concatenated each step's keys and values, and the samplers that copied the
 * whole vocabulary row: the in-place cache and the top-k path must give
 * exactly these tokens. The third row of the sampled cases, whose generator
 * seed is past 2^32, was recorded again when such seeds stopped folding their
 * high word into the low one (the other rows, and every greedy one, are the
 * first recording's).
 */
interface Recorded {
  model: 'tiny-f32' | 'tiny-bf16';
  name: string;
  options: GenerateOptions;
  prompts: number[][];
  tokens: number[][];
}

const recorded = JSON.parse(readFileSync(join(FIXTURES, 'generated-tokens.json'), 'utf8')) as Recorded[];

describe('generation reproduces the recorded tokens', () => {
  beforeAll(async () => {
    await setBackend(process.env.MOLRL_TEST_BACKEND ?? 'cpu');
  });

  for (const model of ['tiny-f32', 'tiny-bf16'] as const) {
    it(`${model}: greedy and sampled, each setting and seed`, async () => {
      const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, model), { dtype: 'auto' });
      const storages = getBackend().memory().storages;
      const cases = recorded.filter((r) => r.model === model);
      expect(cases.length).toBe(14);
      for (const r of cases) {
        const label = `${r.name}, seed ${String(r.options.seed)}`;
        expect(await m.generate(r.prompts, r.options), label).toEqual(r.tokens);
      }
      // Rows finished at different steps in some cases (the cache dropped them), and no cache was left behind.
      expect(cases.some((r) => new Set(r.tokens.map((t) => t.length)).size > 1)).toBe(true);
      expect(getBackend().memory().storages).toBe(storages);
      m.dispose();
    });
  }
});

describe('generation with a seed per row', () => {
  beforeAll(async () => {
    await setBackend(process.env.MOLRL_TEST_BACKEND ?? 'cpu');
  });

  it('a row draws what its prompt alone draws with its seed, whatever its batch', async () => {
    const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    const prompts = [
      [5, 6, 7],
      [9, 3],
      [4, 4, 4, 4, 8],
    ];
    const options: GenerateOptions = { maxNewTokens: 12, temperature: 1, topK: 40, topP: 0.9, stopTokenIds: [] };
    const seeds = [101, 202, 303];
    const batch = await m.generate(prompts, { ...options, seeds });
    for (let i = 0; i < prompts.length; i++)
      expect(batch[i], `row ${i}`).toEqual((await m.generate([prompts[i]!], { ...options, seed: seeds[i]! }))[0]);
    // Reordered and split differently: each row keeps its tokens.
    const reordered = await m.generate([prompts[2]!, prompts[0]!], { ...options, seeds: [303, 101] });
    expect(reordered).toEqual([batch[2], batch[0]]);
    // The seeds decide: other seeds, other tokens (sampling at temperature 1 over 40 candidates).
    expect(await m.generate(prompts, { ...options, seeds: [1, 2, 3] })).not.toEqual(batch);
    // Seeds 65536 apart in their high bits are other streams too (they once folded into one).
    const [one, far] = await m.generate([prompts[0]!, prompts[0]!], { ...options, seeds: [1, 65536] });
    expect(one).not.toEqual(far);
    await expect(m.generate(prompts, { ...options, seeds: [1, 2] })).rejects.toThrow(
      'generate: seeds has 2 entries for 3 prompts (one seed per prompt)',
    );
    await expect(m.generate(prompts, { ...options, seeds: [1, 2, 0.5] })).rejects.toThrow(
      'generate: seeds[2] must be an integer, got 0.5',
    );
    // A misspelt option is refused (transformers refuses unused generate kwargs), not generated without.
    await expect(m.generate(prompts, { ...options, temprature: 0 } as GenerateOptions)).rejects.toThrow(
      "generate: unknown option 'temprature' (did you mean 'temperature'?); known: maxNewTokens, temperature, topP, topK, minP, " +
        'presencePenalty, frequencyPenalty, repetitionPenalty, seed, seeds, stopTokenIds, onStep, signal, samplerPool',
    );
    await expect(m.generate(prompts, { ...options, max_new_tokens: 4 } as GenerateOptions)).rejects.toThrow(
      "generate: unknown option 'max_new_tokens' (did you mean 'maxNewTokens'?)",
    );
    m.dispose();
  });

  it('names a bad argument and shows its value as given (a string quoted)', async () => {
    const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    const vocab = m.config.vocab_size;
    const bad = (inputIds: unknown, options: object) =>
      expect(m.generate(inputIds as number[][], { maxNewTokens: 2, ...options } as GenerateOptions)).rejects;
    await bad([[1, 2]], { maxNewTokens: '4' }).toThrow('generate: maxNewTokens must be an integer >= 0, got "4"');
    await bad([[1, 2]], { seed: 'a' }).toThrow('generate: seed must be an integer, got "a"');
    await bad([[1, 2]], { seed: 1.5 }).toThrow('generate: seed must be an integer, got 1.5');
    await bad([[1, 2]], { seed: 1, seeds: [2] }).toThrow('generate: give seed or seeds, not both');
    await bad([[1, 2]], { seeds: 3 }).toThrow('generate: seeds must be an array of integers, got 3');
    await bad([[1, 2]], { stopTokenIds: 5 }).toThrow('generate: stopTokenIds must be an array of token ids, got 5');
    await bad([[1, 2]], { stopTokenIds: [vocab] }).toThrow(
      `generate: stopTokenIds[0] = ${vocab} is not a token id in [0, ${vocab})`,
    );
    await bad([[1, 2]], { onStep: 'x' }).toThrow('generate: onStep must be a function, got "x"');
    await bad([[1, 2]], { signal: 'x' }).toThrow('generate: signal must be an AbortSignal, got "x"');
    await bad([1, 2, 3], {}).toThrow('generate: inputIds must be an array of prompts, each an array of token ids');
    await bad([[1, '2']], {}).toThrow('generate: prompt 0: token "2" at index 1 is not an integer id');
    await bad([[1, 2]], { temperature: '0.7' }).toThrow('sampling option temperature must be a number >= 0, got "0.7"');
    m.dispose();
  });
});

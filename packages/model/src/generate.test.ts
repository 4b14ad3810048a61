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
 * exactly these tokens.
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

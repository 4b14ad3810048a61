import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from './prng.js';
import { SamplerPool, type RowRequest } from './sampler-pool.js';
import {
  applyPenalties,
  penalisedTokens,
  sampleFromCandidates,
  sampleToken,
  type SamplingContext,
  type SamplingOptions,
} from './samplers.js';
import { TokenCounter } from './token-counter.js';

const VOCAB = 300;

/** A context with repeats, tokens outside [0, VOCAB) and negative ones, and its counter built token by token. */
function randomContext(gen: SeededRandom): { plain: SamplingContext; counted: SamplingContext } {
  const token = () => Math.floor(gen.next() * (VOCAB + 40)) - 20;
  const promptTokens = Array.from({ length: Math.floor(gen.next() * 30) }, token);
  const generatedTokens = Array.from({ length: Math.floor(gen.next() * 400) }, () =>
    gen.next() < 0.7 ? Math.floor(gen.next() * 12) : token(),
  );
  const counter = new TokenCounter(promptTokens);
  for (const t of generatedTokens) counter.add(t);
  return { plain: { promptTokens, generatedTokens }, counted: { promptTokens, generatedTokens, counts: counter } };
}

const SETTINGS: SamplingOptions[] = [
  { presencePenalty: 1, temperature: 0.6, topP: 0.95, topK: 20 },
  { repetitionPenalty: 1.1 },
  { repetitionPenalty: 0.9, frequencyPenalty: 0.3 },
  { frequencyPenalty: -0.5, presencePenalty: 0.7, topP: 0.8 },
  { repetitionPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: -1, temperature: 0 },
  { temperature: 0.9 },
];

describe('TokenCounter', () => {
  it('counts as the arrays do: the same penalties bit for bit, the same tokens touched, the same draws', () => {
    const gen = new SeededRandom(5);
    for (let trial = 0; trial < 120; trial++) {
      const { plain, counted } = randomContext(gen);
      const options = SETTINGS[trial % SETTINGS.length]!;
      const logits = Float32Array.from({ length: VOCAB }, () =>
        gen.next() < 0.05 ? -0 : Math.round((gen.next() - 0.5) * 64) / 8,
      );
      expect(applyPenalties(logits, options, counted)).toEqual(applyPenalties(logits, options, plain));
      const touched = penalisedTokens(options, plain, VOCAB);
      expect(penalisedTokens(options, counted, VOCAB)).toEqual(touched);
      const a = new SeededRandom(trial);
      const b = new SeededRandom(trial);
      expect(sampleToken(logits, options, counted, a)).toBe(sampleToken(logits, options, plain, b));
      expect(a.state()).toEqual(b.state());
      if ((options.topK ?? 0) > 0) {
        // The candidate path reads only the penalised tokens' logits (and fails naming one it was not given).
        const order = Array.from(logits.keys()).sort((x, y) => logits[y]! - logits[x]! || x - y);
        const kept = order.slice(0, options.topK! + touched.length + 8).sort((x, y) => x - y);
        const row = {
          tokens: kept,
          logits: kept.map((t) => logits[t]!),
          penalised: touched,
          penalisedLogits: touched.map((t) => logits[t]!),
        };
        const c = new SeededRandom(trial);
        const d = new SeededRandom(trial);
        expect(sampleFromCandidates(row, VOCAB, options, counted, c)).toBe(
          sampleFromCandidates(row, VOCAB, options, plain, d),
        );
      }
    }
  });

  it('keeps each distinct token once, ascending, with its count; the prompt distinct and ascending', () => {
    const counter = new TokenCounter([5, 3, 5, -1], [7, 2, 7]);
    for (const t of [2, 9, 0, 7, 7]) counter.add(t);
    expect(counter.prompt).toEqual([-1, 3, 5]);
    expect(counter.generated).toEqual([0, 2, 7, 9]);
    expect(counter.generatedCounts).toEqual([1, 2, 4, 1]);
  });
});

describe('TokenCounter on a SamplerPool', () => {
  const pool = new SamplerPool(2);
  afterAll(() => pool.close());

  it("draws on the workers what the calling thread draws from the counter's rows", async () => {
    const gen = new SeededRandom(9);
    const rows = 6;
    const logits = Float32Array.from({ length: rows * VOCAB }, () => Math.round((gen.next() - 0.5) * 40) / 4);
    const requests: RowRequest[] = [];
    const expected: number[] = [];
    for (let r = 0; r < rows; r++) {
      const { counted } = randomContext(gen);
      const options = SETTINGS[r % SETTINGS.length]!;
      const copy = new SeededRandom(r);
      expected.push(sampleToken(logits.subarray(r * VOCAB, (r + 1) * VOCAB), options, counted, copy));
      requests.push({ row: r, options, ctx: counted, rng: new SeededRandom(r) });
    }
    expect(Array.from(await pool.sample(logits, VOCAB, requests))).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { SeededRandom } from './prng.js';
import { penalisedTokens, sampleFromCandidates, sampleToken, type SamplingOptions } from './samplers.js';

/** What the selectTopK kernel returns for a row: the entries >= its k-th largest, in index order. */
function selectByDefinition(row: Float32Array, k: number): { tokens: number[]; logits: number[] } {
  const kth = [...row].sort((a, b) => b - a)[k - 1]!;
  const tokens: number[] = [];
  row.forEach((x, t) => {
    if (x >= kth) tokens.push(t);
  });
  return { tokens, logits: tokens.map((t) => row[t]!) };
}

describe('sampleFromCandidates', () => {
  it('draws the token sampleToken draws from the full row, penalties raising or lowering logits, ties included', () => {
    const rand = new SeededRandom(11);
    const settings: SamplingOptions[] = [
      { temperature: 0.6, topP: 0.95, topK: 20, presencePenalty: 1 },
      { temperature: 1.5, topP: 0.9, topK: 50, minP: 0.01, presencePenalty: 0.5, repetitionPenalty: 1.1 },
      { temperature: 1, topK: 5 },
      { temperature: 1, topK: 1 },
      // penalties that raise a logit past the others: negative presence, repetition below 1
      { temperature: 0.7, topK: 3, presencePenalty: -4 },
      { temperature: 0.9, topK: 4, repetitionPenalty: 0.2, minP: 0.05 },
      { temperature: 1e-3, topK: 2, presencePenalty: 0.25 },
      { temperature: 0.8, topK: 6, frequencyPenalty: 0.7, presencePenalty: 0.1 },
      { temperature: 0.8, topK: 3, frequencyPenalty: -1.5 },
    ];
    let draws = 0;
    for (let trial = 0; trial < 400; trial++) {
      const options = settings[trial % settings.length]!;
      const vocab = options.topK! + 1 + Math.floor(rand.next() * 120);
      // coarse values make ties with the k-th common
      const coarse = trial % 3 === 0;
      const row = Float32Array.from({ length: vocab }, () =>
        coarse ? Math.round(rand.next() * 6) - 3 : (rand.next() - 0.5) * 8,
      );
      const pick = () => Math.floor(rand.next() * vocab);
      const ctx = {
        promptTokens: Array.from({ length: Math.floor(rand.next() * 6) }, pick),
        generatedTokens: Array.from({ length: Math.floor(rand.next() * 8) }, pick),
      };
      const penalised = penalisedTokens(options, ctx, vocab);
      const { tokens, logits } = selectByDefinition(row, Math.min(options.topK! + penalised.length, vocab));
      const candidates = { tokens, logits, penalised, penalisedLogits: penalised.map((t) => row[t]!) };
      const seed = trial * 7919;
      for (let d = 0; d < 3; d++) {
        const expected = sampleToken(row, options, ctx, new SeededRandom(seed + d));
        expect(
          sampleFromCandidates(candidates, vocab, options, ctx, new SeededRandom(seed + d)),
          `trial ${trial}`,
        ).toBe(expected);
        draws++;
      }
    }
    expect(draws).toBe(1200);
  });

  it('lists exactly the tokens the penalties touch', () => {
    const ctx = { promptTokens: [4, 2, 9], generatedTokens: [7, 2, 7, 12] };
    expect(penalisedTokens({ presencePenalty: 1 }, ctx, 10)).toEqual([2, 7]);
    expect(penalisedTokens({ repetitionPenalty: 1.2 }, ctx, 10)).toEqual([2, 4, 7, 9]);
    expect(penalisedTokens({ temperature: 0.5 }, ctx, 10)).toEqual([]);
  });

  it('refuses settings it cannot stand in for, and too few candidates', () => {
    const row = { tokens: [1, 2], logits: [3, 2], penalised: [], penalisedLogits: [] };
    const rng = new SeededRandom(0);
    const ctx = { promptTokens: [], generatedTokens: [] };
    expect(() => sampleFromCandidates(row, 10, { topK: 0 }, ctx, rng)).toThrow(/needs topK in \[1, 10\)/);
    expect(() => sampleFromCandidates(row, 10, { topK: 3 }, ctx, rng)).toThrow(/2 candidates for topK 3/);
    expect(() =>
      sampleFromCandidates(row, 10, { topK: 1, presencePenalty: 1 }, { promptTokens: [], generatedTokens: [5] }, rng),
    ).toThrow(/token 5 is penalised but its logit was not read/);
  });
});

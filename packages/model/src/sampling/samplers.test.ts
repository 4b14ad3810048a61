import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from './prng.js';
import {
  applyPenalties,
  argmax,
  hasPenalties,
  penalisedTokens,
  kthLargest,
  drawFrom,
  sampleToken,
  samplingDistribution,
  topKCandidates,
  validateSamplingOptions,
  type SamplingContext,
  type SamplingOptions,
} from './samplers.js';

const ctx0 = { promptTokens: [], generatedTokens: [] };

describe('SeededRandom', () => {
  it('is reproducible per seed, differs across seeds, and is roughly uniform', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(xs.slice(0, 5)).not.toEqual(Array.from({ length: 5 }, () => c.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });

  it('keeps the streams of seeds below 2^32 (recorded), and seeds past them are streams of their own', () => {
    expect(new SeededRandom(42).state()).toEqual([939911724, 3948730756, 321366731, 3317318717]);
    expect(new SeededRandom(2 ** 32 - 1).next()).toBe(0.19461841275915504);
    const state = (seed: number) => new SeededRandom(seed).state().join(',');
    // The high word once folded into the low one by XOR: k and 65536k under generate's seed * 0x10001,
    // 2^32 and 1, -1 and 0 drew the same stream.
    for (let k = 1; k < 2000; k++) expect(state(k * 0x10001), `seed ${k}`).not.toBe(state(65536 * k * 0x10001));
    expect(state(2 ** 32)).not.toBe(state(1));
    expect(state(-1)).not.toBe(state(0));
    expect(state(2 ** 32 * 3 + 5)).not.toBe(state(2 ** 32 * 5 + 3)); // the two words are not interchangeable
    // Every (seed, row) stream generate draws from, for seeds 0..499 and 64 rows, is distinct.
    const seen = new Set<string>();
    for (let s = 0; s < 500; s++) for (let i = 0; i < 64; i++) seen.add(state(s * 0x10001 + i * 0x9e3779b1));
    expect(seen.size).toBe(500 * 64);
  });
});

describe('penalties', () => {
  it('repetition penalty divides positive and multiplies negative logits of seen tokens (transformers)', () => {
    const out = applyPenalties(
      new Float32Array([2, -2, 1, 4]),
      { repetitionPenalty: 2 },
      { promptTokens: [0], generatedTokens: [1, 1] },
    );
    expect(Array.from(out)).toEqual([1, -4, 1, 4]);
  });

  it('presence penalty subtracts once per generated token, ignoring the prompt', () => {
    const out = applyPenalties(
      new Float32Array([2, 2, 2]),
      { presencePenalty: 1.5 },
      { promptTokens: [0], generatedTokens: [2, 2] },
    );
    expect(Array.from(out)).toEqual([2, 2, 0.5]);
  });

  it('frequency penalty subtracts once per time a token was generated, ignoring the prompt (OpenAI/vLLM)', () => {
    const out = applyPenalties(
      new Float32Array([2, 2, 2, 2]),
      { frequencyPenalty: 0.5 },
      { promptTokens: [0], generatedTokens: [2, 3, 2, 2] },
    );
    expect(Array.from(out)).toEqual([2, 2, 0.5, 1.5]);
    expect(penalisedTokens({ frequencyPenalty: 0.5 }, { promptTokens: [0], generatedTokens: [3, 2, 3] }, 4)).toEqual([
      2, 3,
    ]);
    expect(hasPenalties({ frequencyPenalty: 0.5 })).toBe(true);
    expect(hasPenalties({ frequencyPenalty: 0, presencePenalty: 0, repetitionPenalty: 1 })).toBe(false);
    // A penalty that rounds to nothing in float32 changes no logit, so it is off.
    expect(hasPenalties({ presencePenalty: 1e-50 })).toBe(false);
  });

  it("gives transformers' and vLLM's float32 bits, penalties such as 1.1 included (fixtures/penalties.json)", () => {
    const fixture = JSON.parse(readFileSync(new URL('../../fixtures/penalties.json', import.meta.url), 'utf8')) as {
      cases: {
        reference: string;
        repetitionPenalty: number;
        frequencyPenalty: number;
        presencePenalty: number;
        promptTokens: number[];
        generatedTokens: number[];
        logits: number[];
        expected: number[];
      }[];
    };
    for (const c of fixture.cases) {
      const out = applyPenalties(
        Float32Array.from(c.logits),
        {
          repetitionPenalty: c.repetitionPenalty,
          frequencyPenalty: c.frequencyPenalty,
          presencePenalty: c.presencePenalty,
        },
        { promptTokens: c.promptTokens, generatedTokens: c.generatedTokens },
      );
      const label = `${c.reference} rep ${c.repetitionPenalty} freq ${c.frequencyPenalty} presence ${c.presencePenalty}`;
      expect(Array.from(out), label).toEqual(Array.from(Float32Array.from(c.expected)));
    }
  });
});

describe('kthLargest', () => {
  it('agrees with sorting, ties included', () => {
    const rng = new SeededRandom(5);
    const xs = Array.from({ length: 5000 }, () => Math.floor(rng.next() * 300));
    const sorted = [...xs].sort((a, b) => b - a);
    for (const k of [1, 2, 20, 777, 5000]) expect(kthLargest(xs, k)).toBe(sorted[k - 1]);
  });
});

describe('filters', () => {
  const logits = new Float32Array([Math.log(0.5), Math.log(0.25), Math.log(0.15), Math.log(0.1)]);

  it('top-k keeps the k largest', () => {
    const p = samplingDistribution(logits, { topK: 2 });
    expect(p[0]).toBeCloseTo(2 / 3, 6);
    expect(p[1]).toBeCloseTo(1 / 3, 6);
    expect(p[2]).toBe(0);
  });

  it('top-p keeps the smallest set reaching p (the crossing token included)', () => {
    const p = samplingDistribution(logits, { topP: 0.7 });
    expect(Array.from(p).map((x) => x > 0)).toEqual([true, true, false, false]);
    const p2 = samplingDistribution(logits, { topP: 0.75 });
    // cumulative ascending: 0.1, 0.25 <= 0.25 removed; 0.5 > 0.25 kept -> {0, 1}
    expect(Array.from(p2).map((x) => x > 0)).toEqual([true, true, false, false]);
    const p3 = samplingDistribution(logits, { topP: 0.76 });
    expect(Array.from(p3).map((x) => x > 0)).toEqual([true, true, true, false]);
    expect(Array.from(samplingDistribution(logits, { topP: 0.01 })).map((x) => x > 0)).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it('min-p drops tokens below minP times the top probability', () => {
    const p = samplingDistribution(logits, { minP: 0.4 });
    expect(Array.from(p).map((x) => x > 0)).toEqual([true, true, false, false]);
  });

  it('temperature sharpens and flattens', () => {
    const cold = samplingDistribution(logits, { temperature: 0.5 });
    const hot = samplingDistribution(logits, { temperature: 2 });
    expect(cold[0]).toBeCloseTo(0.25 / (0.25 + 0.0625 + 0.0225 + 0.01), 6);
    expect(hot[0]).toBeLessThan(0.5);
  });
});

describe('sampleToken', () => {
  it('is greedy at temperature 0 and takes the first maximum', () => {
    const rng = new SeededRandom(1);
    expect(argmax(new Float32Array([1, 3, 3, 2]))).toBe(1);
    expect(sampleToken(new Float32Array([1, 3, 3, 2]), { temperature: 0 }, ctx0, rng)).toBe(1);
  });

  it('reproduces draws with the same seed and follows the distribution', () => {
    const logits = new Float32Array([0, Math.log(3), -Infinity, 0]);
    const draw = (seed: number) => {
      const rng = new SeededRandom(seed);
      return Array.from({ length: 2000 }, () => sampleToken(logits, {}, ctx0, rng));
    };
    const a = draw(7);
    expect(a).toEqual(draw(7));
    expect(a).not.toEqual(draw(8));
    const counts = [0, 0, 0, 0];
    for (const t of a) counts[t]++;
    expect(counts[2]).toBe(0);
    expect(counts[1] / 2000).toBeGreaterThan(0.55);
    expect(counts[1] / 2000).toBeLessThan(0.65);
  });

  it('rejects bad options by name', () => {
    expect(() => validateSamplingOptions({ topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => validateSamplingOptions({ temperature: -1 })).toThrow(/temperature/);
    expect(() => validateSamplingOptions({ topK: 1.5 })).toThrow(/topK/);
    expect(() => validateSamplingOptions({ repetitionPenalty: 0 })).toThrow(/repetitionPenalty/);
    expect(() => validateSamplingOptions({ frequencyPenalty: Number.NaN })).toThrow(
      /sampling option frequencyPenalty must be a finite number, got NaN/,
    );
  });
});

describe('sampling on the row as it is', () => {
  /** A row with ties, -Infinity and a spread of values, like a model's logits. */
  function logitsRow(seed: number, n: number): Float32Array {
    const rng = new SeededRandom(seed);
    const row = new Float32Array(n);
    for (let i = 0; i < n; i++) row[i] = Math.round((rng.next() * 8 - 4) * 16) / 16;
    row[3] = -Infinity;
    row[n - 1] = row[0]; // a tie with an early token
    return row;
  }

  /** The draw through the full distribution (applyPenalties' copy, every token scored). */
  function fullDraw(logits: Float32Array, o: SamplingOptions, ctx: SamplingContext, rng: SeededRandom): number {
    const penalised = applyPenalties(logits, o, ctx);
    if ((o.temperature ?? 1) === 0) return argmax(penalised);
    return drawFrom(samplingDistribution(penalised, o), rng);
  }

  const optionSets: SamplingOptions[] = [
    { temperature: 0 },
    { temperature: 0, repetitionPenalty: 1.3, presencePenalty: 0.5 },
    { topK: 1 },
    { topK: 7 },
    { topK: 40, temperature: 0.7 },
    { topK: 40, topP: 0.8 },
    { topK: 40, minP: 0.2, temperature: 1.4 },
    { topK: 25, topP: 0.9, repetitionPenalty: 1.5, presencePenalty: 1 },
    { topK: 999 },
    { topP: 0.9 },
  ];

  it('draws the same tokens as the full distribution for the same seed', () => {
    const ctx = { promptTokens: [0, 5, 17, 5], generatedTokens: [17, 42, 42, 999] };
    for (const [s, o] of optionSets.entries()) {
      const logits = logitsRow(s + 11, 1000);
      const fast = new SeededRandom(s);
      const full = new SeededRandom(s);
      const tokens = Array.from({ length: 100 }, () => sampleToken(logits, o, ctx, fast));
      expect(tokens, JSON.stringify(o)).toEqual(Array.from({ length: 100 }, () => fullDraw(logits, o, ctx, full)));
    }
  });

  it('without top-k, draws what the full distribution draws: ties at the top-p cut, min-p, penalties, odd rows', () => {
    const settings: SamplingOptions[] = [
      { temperature: 0.9 },
      { temperature: 0.9, presencePenalty: 1, repetitionPenalty: 1.2 },
      { topP: 0.95 },
      { topP: 0.5, temperature: 0.7 },
      { topP: 0.2, minP: 0.1 },
      { minP: 0.05, temperature: 1.3 },
      { temperature: 1e-3, topP: 0.9 },
      { temperature: 1e-300 },
      { topK: 999_999, topP: 0.8 },
    ];
    const gen = new SeededRandom(5);
    let draws = 0;
    for (let trial = 0; trial < 600; trial++) {
      const o = settings[trial % settings.length]!;
      const n = 2 + Math.floor(gen.next() * 300);
      // coarse values: many ties, at the top-p cut too
      const levels = 1 + Math.floor(gen.next() * 6);
      const row = Float32Array.from({ length: n }, () => Math.floor(gen.next() * levels) - levels / 2);
      if (trial % 7 === 0) row[Math.floor(gen.next() * n)] = -Infinity;
      if (trial % 53 === 0) row.fill(-Infinity);
      if (trial % 59 === 0) row[Math.floor(gen.next() * n)] = NaN;
      if (trial % 61 === 0) row[Math.floor(gen.next() * n)] = Infinity;
      const pick = () => Math.floor(gen.next() * n);
      const ctx = { promptTokens: [pick(), pick()], generatedTokens: [pick(), pick(), pick()] };
      // A draw, or the error a row nothing can be drawn from gives (both ways alike).
      const outcome = (draw: () => number) => {
        try {
          return draw();
        } catch (error) {
          return (error as Error).message;
        }
      };
      for (let d = 0; d < 3; d++) {
        const seed = trial * 31 + d;
        const expected = outcome(() => fullDraw(row, o, ctx, new SeededRandom(seed)));
        const drawn = outcome(() => sampleToken(row, o, ctx, new SeededRandom(seed)));
        expect(drawn, `trial ${trial} ${JSON.stringify(o)}`).toBe(expected);
        draws++;
      }
    }
    expect(draws).toBe(1800);
  });

  it('a row with one finite logit among -Infinity draws it, with or without top-k', () => {
    const ctx = { promptTokens: [], generatedTokens: [] };
    for (const o of [{ temperature: 0.9 }, { temperature: 0.9, topK: 2 }, { topP: 0.5 }, { minP: 0.1 }]) {
      const row = Float32Array.from([-Infinity, 0.5, -Infinity, -Infinity]);
      const drawn = Array.from({ length: 20 }, (_, s) => sampleToken(row, o, ctx, new SeededRandom(s)));
      expect(new Set(drawn), JSON.stringify(o)).toEqual(new Set([1]));
    }
  });

  it('refuses a row nothing can be drawn from (NaN, +Infinity, all -Infinity) rather than draw the last token', () => {
    const ctx = { promptTokens: [], generatedTokens: [] };
    const cases: Array<[number[], string]> = [
      [[0.5, Number.NaN, 1, 0.2], '1 NaN logit'],
      [[0.5, Infinity, 1, Infinity], '2 +Infinity logits'],
      [[-Infinity, -Infinity, -Infinity], 'every logit -Infinity'],
    ];
    for (const [values, what] of cases)
      for (const o of [{ temperature: 0.9 }, { temperature: 0.9, topK: 2 }, { topP: 0.5 }, { minP: 0.1 }]) {
        expect(() => sampleToken(Float32Array.from(values), o, ctx, new SeededRandom(1)), JSON.stringify(o)).toThrow(
          `sampleToken: cannot sample from a row with ${what}`,
        );
      }
    // Greedy decoding still picks the largest, as an argmax does.
    expect(sampleToken(Float32Array.from([0.5, Infinity, 1]), { temperature: 0 }, ctx, new SeededRandom(1))).toBe(1);
  });

  it('leaves the row untouched', () => {
    const logits = logitsRow(3, 500);
    const before = Float32Array.from(logits);
    const ctx = { promptTokens: [1, 2], generatedTokens: [2, 9] };
    sampleToken(logits, { topK: 10, repetitionPenalty: 2, presencePenalty: 1 }, ctx, new SeededRandom(1));
    sampleToken(logits, { temperature: 0, repetitionPenalty: 2 }, ctx, new SeededRandom(1));
    expect(logits).toEqual(before);
  });

  it('top-k candidates are the tokens at or above the k-th score, ties kept, in token order', () => {
    const logits = new Float32Array([1, 5, 3, 5, -Infinity, 3, 0]);
    expect(topKCandidates(logits, 2, 1)).toEqual({ tokens: [1, 3], scores: Float64Array.from([5, 5]) });
    expect(topKCandidates(logits, 3, 2).tokens).toEqual([1, 2, 3, 5]);
    // a penalised token is scored at its penalised value
    const penalised = topKCandidates(logits, 2, 1, { tokens: [1], values: [0.5] });
    expect(penalised.tokens).toEqual([2, 3, 5]);
  });
});

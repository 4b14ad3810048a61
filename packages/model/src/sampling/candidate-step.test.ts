import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispose, setBackend, tensor, tidy } from '@molrl/tensor';
import {
  CANDIDATE_SLACK,
  candidateSamplingApplies,
  drawFromCandidates,
  planCandidates,
  selectCandidates,
} from './candidate-step.js';
import { SeededRandom } from './prng.js';
import { sampleToken, type SamplingContext, type SamplingOptions } from './samplers.js';

const OPTIONS: SamplingOptions = {
  temperature: 0.6,
  topP: 0.95,
  topK: 20,
  presencePenalty: 1,
  frequencyPenalty: 0.3,
  repetitionPenalty: 1.1,
};

beforeAll(async () => {
  await setBackend('cpu');
});
afterAll(async () => {
  await setBackend('cpu');
});

function contextsFor(rows: number, vocab: number, rand: SeededRandom): SamplingContext[] {
  const pick = () => Math.floor(rand.next() * vocab);
  return Array.from({ length: rows }, (_, r) => ({
    promptTokens: Array.from({ length: r % 4 }, pick),
    // rows with different penalty lists: the plan pads the short ones
    generatedTokens: Array.from({ length: 3 * r }, pick),
  }));
}

async function drawBoth(logits: Float32Array, rows: number, vocab: number, ctxs: SamplingContext[], seed: number) {
  const plan = planCandidates(OPTIONS, ctxs, vocab);
  const x = tensor(logits, [rows, 1, vocab]);
  const selected = tidy(() => selectCandidates(x, plan));
  try {
    const drawn = await drawFromCandidates(
      selected,
      plan,
      OPTIONS,
      ctxs.map((ctx, r) => ({ ctx, rng: new SeededRandom(seed + r) })),
    );
    // The full row's draw, or the error of a row nothing can be drawn from (a NaN).
    const full = ctxs.map((ctx, r) => {
      try {
        return sampleToken(logits.subarray(r * vocab, (r + 1) * vocab), OPTIONS, ctx, new SeededRandom(seed + r));
      } catch (error) {
        return (error as Error).message;
      }
    });
    return { plan, drawn, full };
  } finally {
    dispose([selected, x]);
  }
}

describe('the candidate step (plan, select, draw)', () => {
  it('sizes the selection by the widest penalty list, capped at the vocabulary', () => {
    const ctxs = [
      { promptTokens: [1, 2], generatedTokens: [3] },
      { promptTokens: [], generatedTokens: [] },
    ];
    const plan = planCandidates(OPTIONS, ctxs, 1000);
    expect(plan.penalised).toEqual([[1, 2, 3], []]);
    expect(plan.widest).toBe(3);
    expect(plan.k).toBe(23);
    expect(plan.capacity).toBe(23 + CANDIDATE_SLACK);
    const small = planCandidates(OPTIONS, ctxs, 30);
    expect([small.k, small.capacity]).toEqual([23, 30]);
  });

  it("draws each row's sampleToken token from a few numbers read per row", async () => {
    const rand = new SeededRandom(5);
    const rows = 6;
    const vocab = 3000;
    for (let trial = 0; trial < 8; trial++) {
      // coarse logits on odd trials (about 5 tokens share a value): ties with the k-th, within the slots
      const logits = Float32Array.from({ length: rows * vocab }, () =>
        trial % 2 ? Math.round(rand.next() * 640) / 64 : (rand.next() - 0.5) * 12,
      );
      const ctxs = contextsFor(rows, vocab, rand);
      const { plan, drawn, full } = await drawBoth(logits, rows, vocab, ctxs, trial * 101);
      expect(plan.widest).toBeGreaterThan(0);
      expect(drawn, `trial ${trial}`).toEqual(full);
    }
  });

  it('answers null where a row holds a NaN or its ties overflow the slots, so the caller reads the full rows', async () => {
    const vocab = 500;
    const ctxs = contextsFor(2, vocab, new SeededRandom(1));
    const withNaN = Float32Array.from({ length: 2 * vocab }, (_, i) => Math.sin(i));
    withNaN[vocab + 7] = NaN;
    const nan = await drawBoth(withNaN, 2, vocab, ctxs, 0);
    expect(nan.drawn).toBeNull();
    // The caller's full-row draw then refuses the NaN row, naming it.
    expect(nan.full[1]).toMatch(/^sampleToken: cannot sample from a row with 1 NaN logit/);
    // every logit equal: the ties run past k + CANDIDATE_SLACK slots
    expect((await drawBoth(new Float32Array(2 * vocab), 2, vocab, ctxs, 0)).drawn).toBeNull();
  });

  it('names a mismatch between the logits and the plan', () => {
    const plan = planCandidates(OPTIONS, [{ promptTokens: [], generatedTokens: [] }], 100);
    const x = tensor(new Float32Array(2 * 100), [2, 100]);
    expect(() => selectCandidates(x, plan)).toThrow(/200 entries, the plan's 1 rows x 100 tokens need 100/);
    x.dispose();
  });

  it('applies to top-k in [1, vocab) at a usable temperature', () => {
    expect(candidateSamplingApplies({ topK: 20 }, 1000)).toBe(true);
    expect(candidateSamplingApplies({ topK: 0 }, 1000)).toBe(false);
    expect(candidateSamplingApplies({ topK: 1000 }, 1000)).toBe(false);
    expect(candidateSamplingApplies({ topK: 20, temperature: 1e-300 }, 1000)).toBe(false);
  });
});

/**
 * Next-token selection on host logits, with the semantics of Hugging Face
 * transformers' logits processors (repetition penalty, temperature, top-k,
 * top-p, min-p) and OpenAI/vLLM's presence penalty. Order: penalties, then
 * temperature, then top-k, top-p, min-p, then a draw from the seeded PRNG.
 */
import type { SeededRandom } from './prng.js';

export interface SamplingOptions {
  /** 0 (or undefined with no other sampler set) selects greedy argmax. Default 1. */
  temperature?: number;
  /** Nucleus sampling: keep the smallest set of tokens whose probability reaches topP. Default 1 (off). */
  topP?: number;
  /** Keep the topK highest logits (ties with the k-th kept, as transformers does). 0 = off. */
  topK?: number;
  /** Drop tokens whose probability is below minP times the most likely token's. 0 = off. */
  minP?: number;
  /** Subtracted from the logit of every token already generated (OpenAI/vLLM semantics; the prompt does not count). 0 = off. */
  presencePenalty?: number;
  /**
   * transformers' repetition penalty over prompt and generated tokens: a
   * positive logit is divided by it, a negative one multiplied. 1 = off.
   */
  repetitionPenalty?: number;
}

export interface SamplingContext {
  /** Tokens of the prompt (for the repetition penalty). */
  promptTokens: readonly number[];
  /** Tokens generated so far (for the presence and repetition penalties). */
  generatedTokens: readonly number[];
}

export function validateSamplingOptions(o: SamplingOptions): void {
  const check = (name: string, v: number | undefined, ok: (v: number) => boolean, what: string) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))) {
      throw new Error(`sampling option ${name} must be ${what}, got ${String(v)}`);
    }
  };
  check('temperature', o.temperature, (v) => v >= 0, 'a number >= 0');
  check('topP', o.topP, (v) => v > 0 && v <= 1, 'in (0, 1]');
  check('topK', o.topK, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  check('minP', o.minP, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  check('presencePenalty', o.presencePenalty, () => true, 'a finite number');
  check('repetitionPenalty', o.repetitionPenalty, (v) => v > 0, 'a number > 0');
}

/** Index of the first maximum. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i;
    }
  }
  return best;
}

/** Apply the repetition and presence penalties to a copy of `logits`. */
export function applyPenalties(logits: Float32Array, options: SamplingOptions, ctx: SamplingContext): Float32Array {
  const out = new Float32Array(logits);
  const rep = options.repetitionPenalty ?? 1;
  if (rep !== 1) {
    const seen = new Set<number>([...ctx.promptTokens, ...ctx.generatedTokens]);
    for (const t of seen) {
      if (t < 0 || t >= out.length) continue;
      out[t] = out[t] < 0 ? out[t] * rep : out[t] / rep;
    }
  }
  const presence = options.presencePenalty ?? 0;
  if (presence !== 0) {
    for (const t of new Set(ctx.generatedTokens)) {
      if (t >= 0 && t < out.length) out[t] -= presence;
    }
  }
  return out;
}

/**
 * The sampling distribution after temperature, top-k, top-p and min-p, as
 * probabilities (zeros where filtered). `logits` are already penalised.
 */
export function samplingDistribution(logits: Float32Array, options: SamplingOptions): Float64Array {
  const n = logits.length;
  const temperature = options.temperature ?? 1;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = logits[i] / temperature;

  const topK = options.topK ?? 0;
  if (topK > 0 && topK < n) {
    const kth = kthLargest(scores, topK);
    for (let i = 0; i < n; i++) if (scores[i] < kth) scores[i] = -Infinity;
  }

  let max = -Infinity;
  for (let i = 0; i < n; i++) if (scores[i] > max) max = scores[i];
  const probs = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = scores[i] === -Infinity ? 0 : Math.exp(scores[i] - max);
    total += probs[i];
  }
  for (let i = 0; i < n; i++) probs[i] /= total;

  const topP = options.topP ?? 1;
  if (topP < 1) {
    // transformers: sort ascending, drop tokens whose cumulative mass is <= 1 - topP; the most likely token always stays.
    const order: number[] = [];
    for (let i = 0; i < n; i++) if (probs[i] > 0) order.push(i);
    order.sort((a, b) => probs[a] - probs[b] || b - a);
    let cum = 0;
    for (let j = 0; j < order.length - 1; j++) {
      cum += probs[order[j]];
      if (cum <= 1 - topP) probs[order[j]] = 0;
      else break;
    }
  }

  const minP = options.minP ?? 0;
  if (minP > 0) {
    let top = 0;
    for (let i = 0; i < n; i++) if (probs[i] > top) top = probs[i];
    const threshold = minP * top;
    for (let i = 0; i < n; i++) if (probs[i] < threshold) probs[i] = 0;
  }

  let kept = 0;
  for (let i = 0; i < n; i++) kept += probs[i];
  for (let i = 0; i < n; i++) probs[i] /= kept;
  return probs;
}

/** The k-th largest value (1-based), with a size-k min-heap: O(n log k), no sort of the vocabulary. */
export function kthLargest(values: ArrayLike<number>, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && heap[l] < heap[m]) m = l;
      if (r < size && heap[r] < heap[m]) m = r;
      if (m === i) return;
      const t = heap[i];
      heap[i] = heap[m];
      heap[m] = t;
      i = m;
    }
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (size < k) {
      let j = size++;
      heap[j] = v;
      while (j > 0) {
        const p = (j - 1) >> 1;
        if (heap[p] <= heap[j]) break;
        const t = heap[p];
        heap[p] = heap[j];
        heap[j] = t;
        j = p;
      }
    } else if (v > heap[0]) {
      heap[0] = v;
      siftDown(0);
    }
  }
  return heap[0];
}

/** Draw an index from `probs` (summing to 1) with one uniform from `rng`. */
export function drawFrom(probs: Float64Array, rng: SeededRandom): number {
  const u = rng.next();
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return i;
  }
  return last;
}

/**
 * Pick the next token for one row: greedy when temperature is 0, otherwise a
 * seeded draw from the filtered distribution.
 */
export function sampleToken(
  logits: Float32Array,
  options: SamplingOptions,
  ctx: SamplingContext,
  rng: SeededRandom,
): number {
  const penalised = applyPenalties(logits, options, ctx);
  if ((options.temperature ?? 1) === 0) return argmax(penalised);
  return drawFrom(samplingDistribution(penalised, options), rng);
}

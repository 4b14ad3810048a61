/**
 * Next-token selection on host logits, with the semantics of Hugging Face
 * transformers' logits processors (repetition penalty, temperature, top-k,
 * top-p, min-p) and OpenAI/vLLM's frequency and presence penalties. Order:
 * penalties (repetition, frequency, presence, as vLLM applies them), then
 * temperature, then top-k, top-p, min-p, then a draw from the seeded PRNG.
 */
import type { SeededRandom } from './prng.js';
import { shownValue } from '../shown-value.js';

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
   * Subtracted from the logit of every token already generated, once per time
   * it was generated (OpenAI/vLLM semantics; the prompt does not count). 0 = off.
   */
  frequencyPenalty?: number;
  /**
   * transformers' repetition penalty over prompt and generated tokens: a
   * positive logit is divided by it, a negative one multiplied. 1 = off.
   */
  repetitionPenalty?: number;
}

/** The fields of `SamplingOptions`. */
export const SAMPLING_OPTION_NAMES = Object.keys({
  temperature: true,
  topP: true,
  topK: true,
  minP: true,
  presencePenalty: true,
  frequencyPenalty: true,
  repetitionPenalty: true,
} satisfies Record<keyof SamplingOptions, true>) as readonly (keyof SamplingOptions)[]; // every field, or it does not compile

export interface SamplingContext {
  /** Tokens of the prompt (for the repetition penalty). */
  promptTokens: readonly number[];
  /** Tokens generated so far (for the repetition, frequency and presence penalties). */
  generatedTokens: readonly number[];
  /**
   * The same tokens distinct and counted, kept up to date by the caller
   * (`TokenCounter`, as `generate` keeps one per row): the penalties then cost
   * the distinct tokens' number per step, not the generated length's. Absent,
   * they are counted from the two arrays at each call.
   */
  counts?: TokenCounts;
}

/** A row's tokens as the penalties read them: distinct, ascending, the generated ones counted. */
export interface TokenCounts {
  /** The prompt's distinct tokens, ascending. */
  prompt: readonly number[];
  /** The generated tokens' distinct values, ascending. */
  generated: readonly number[];
  /** How many times each token of `generated` was generated. */
  generatedCounts: readonly number[];
}

export function validateSamplingOptions(o: SamplingOptions): void {
  const check = (name: string, v: number | undefined, ok: (v: number) => boolean, what: string) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || !ok(v))) {
      throw new Error(`sampling option ${name} must be ${what}, got ${shownValue(v)}`);
    }
  };
  check('temperature', o.temperature, (v) => v >= 0, 'a number >= 0');
  check('topP', o.topP, (v) => v > 0 && v <= 1, 'in (0, 1]');
  check('topK', o.topK, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  check('minP', o.minP, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  check('presencePenalty', o.presencePenalty, () => true, 'a finite number');
  check('frequencyPenalty', o.frequencyPenalty, () => true, 'a finite number');
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

/**
 * The penalised value of every token the penalties touch, as `applyPenalties`
 * stores it (float32), in ascending token order; other tokens keep their logit.
 */
export interface PenaltyOverrides {
  tokens: number[];
  values: number[];
}

function penaltyOverrides(logits: Float32Array, options: SamplingOptions, ctx: SamplingContext): PenaltyOverrides {
  return penaltiesOf((t) => logits[t], logits.length, options, ctx);
}

/**
 * The penalised values, reading each touched token's logit through `logitOf`
 * (tokens outside [0, vocab) are skipped). Each penalty is one float32
 * operation with the penalty itself in float32, as torch computes a float32
 * row against a Python float (transformers) or a float32 tensor (vLLM): a
 * penalty such as 1.1 then gives their bits, not the float64 quotient's.
 */
function penaltiesOf(
  logitOf: (token: number) => number,
  vocab: number,
  options: SamplingOptions,
  ctx: SamplingContext,
): PenaltyOverrides {
  const { repetition, frequency, presence } = float32Penalties(options);
  const tokens: number[] = [];
  const values: number[] = [];
  if (repetition === 1 && frequency === 0 && presence === 0) return { tokens, values };
  const counts = ctx.counts ?? tokenCountsOf(ctx);
  const prompt = repetition !== 1 ? counts.prompt : [];
  const { generated, generatedCounts } = counts;
  // The prompt's and the generated tokens' distinct values, merged in ascending order: each penalty in turn
  // on each token it reaches (repetition: both; frequency and presence: the generated ones).
  let p = 0;
  let g = 0;
  while (p < prompt.length || g < generated.length) {
    const pt = p < prompt.length ? prompt[p]! : Infinity;
    const gt = g < generated.length ? generated[g]! : Infinity;
    const t = Math.min(pt, gt);
    if (pt === t) p++;
    const n = gt === t ? generatedCounts[g++]! : 0;
    if (!(t >= 0 && t < vocab)) continue;
    let x = logitOf(t);
    if (repetition !== 1) x = Math.fround(x < 0 ? x * repetition : x / repetition);
    if (n > 0 && frequency !== 0) x = Math.fround(x - Math.fround(frequency * n));
    if (n > 0 && presence !== 0) x = Math.fround(x - presence);
    tokens.push(t);
    values.push(x);
  }
  return { tokens, values };
}

/** The distinct tokens of a context, counted (what `TokenCounter` keeps as it goes). */
function tokenCountsOf(ctx: SamplingContext): TokenCounts {
  const ascending = (a: number, b: number) => a - b;
  const prompt = [...new Set(ctx.promptTokens)].sort(ascending);
  const tally = new Map<number, number>();
  for (const t of ctx.generatedTokens) tally.set(t, (tally.get(t) ?? 0) + 1);
  const generated = [...tally.keys()].sort(ascending);
  return { prompt, generated, generatedCounts: generated.map((t) => tally.get(t)!) };
}

/** The penalties rounded to float32, as torch applies them (repetition 1, frequency and presence 0: off). */
function float32Penalties(options: SamplingOptions): { repetition: number; frequency: number; presence: number } {
  return {
    repetition: Math.fround(options.repetitionPenalty ?? 1),
    frequency: Math.fround(options.frequencyPenalty ?? 0),
    presence: Math.fround(options.presencePenalty ?? 0),
  };
}

/** The tokens whose logits the penalties change, ascending (what `penaltyOverrides` touches). */
export function penalisedTokens(options: SamplingOptions, ctx: SamplingContext, vocab: number): number[] {
  // The tokens penaltiesOf writes, whatever their logits: read through a stand-in.
  return penaltiesOf(() => 0, vocab, options, ctx).tokens;
}

/** Whether any penalty changes a logit (repetition != 1, frequency or presence != 0, each as float32). */
export function hasPenalties(options: SamplingOptions): boolean {
  const { repetition, frequency, presence } = float32Penalties(options);
  return repetition !== 1 || frequency !== 0 || presence !== 0;
}

/** Apply the repetition, frequency and presence penalties to a copy of `logits`. */
export function applyPenalties(logits: Float32Array, options: SamplingOptions, ctx: SamplingContext): Float32Array {
  const out = new Float32Array(logits);
  const { tokens, values } = penaltyOverrides(logits, options, ctx);
  for (let j = 0; j < tokens.length; j++) out[tokens[j]] = values[j];
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
  return filteredProbabilities(scores, options);
}

/** The error for a row of scores no token can be drawn from, saying what is wrong with it. */
function undrawableRow(scores: Float64Array): RangeError {
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] !== scores[i]) nan++;
    else if (scores[i] === Infinity) inf++;
  }
  const what = nan
    ? `${nan} NaN logit${nan > 1 ? 's' : ''}`
    : inf
      ? `${inf} +Infinity logit${inf > 1 ? 's' : ''}`
      : 'every logit -Infinity (or removed by the penalties and filters)';
  return new RangeError(
    `sampleToken: cannot sample from a row with ${what}: the model's outputs are not finite ` +
      '(greedy decoding, temperature 0, still picks the largest)',
  );
}

/**
 * Softmax of `scores` (temperature and top-k applied; -Infinity where
 * dropped), then top-p and min-p, renormalised. Entries are in ascending
 * token order, which top-p's tie-break relies on; whether they are the whole
 * vocabulary or only the top-k candidates, the kept probabilities come out
 * bit for bit the same (a dropped token only ever adds an exact 0 to a sum).
 */
function filteredProbabilities(scores: Float64Array, options: SamplingOptions): Float64Array {
  const n = scores.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (scores[i] > max) max = scores[i];
  const probs = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    probs[i] = scores[i] === -Infinity ? 0 : Math.exp(scores[i] - max);
    total += probs[i];
  }
  // NaN (a NaN score, or +Infinity: exp(inf - inf)) or 0 (every score -Infinity): nothing can be drawn.
  // torch.multinomial refuses such a row too; a draw would otherwise fall to the last token.
  if (!(total > 0)) throw undrawableRow(scores);
  for (let i = 0; i < n; i++) probs[i] /= total;

  const topP = options.topP ?? 1;
  if (topP < 1) {
    // transformers: sort ascending, drop tokens whose cumulative mass is <= 1 - topP; the most likely token always stays.
    // Tokens tied at the cut go highest id first: torch's sort (stable=False, as transformers and vLLM call it)
    // leaves the order of ties unspecified (it changes with the row's length), so ours is fixed and stated.
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

/**
 * The top-k candidates of a row read as it is (penalties applied on the fly
 * from `overrides`): the tokens whose score (penalised logit / temperature)
 * is at least the k-th largest, ties with it included, in ascending token
 * order, with their scores. Two passes over the row and O(k) memory: no copy
 * of the vocabulary.
 */
export function topKCandidates(
  logits: Float32Array,
  topK: number,
  temperature: number,
  overrides: PenaltyOverrides = { tokens: [], values: [] },
): { tokens: number[]; scores: Float64Array } {
  const n = logits.length;
  const { tokens: penalised, values: penalisedValues } = overrides;
  // Pass 1: the k-th largest score, with a size-k min-heap.
  const heap = new KthLargest(topK);
  let next = 0;
  for (let i = 0; i < n; i++) {
    let x = logits[i];
    if (next < penalised.length && penalised[next] === i) x = penalisedValues[next++];
    heap.push(x / temperature);
  }
  const kth = heap.kth();
  // Pass 2: every token at or above it, in token order.
  const tokens: number[] = [];
  const scores: number[] = [];
  next = 0;
  for (let i = 0; i < n; i++) {
    let x = logits[i];
    if (next < penalised.length && penalised[next] === i) x = penalisedValues[next++];
    const score = x / temperature;
    if (!(score < kth)) {
      tokens.push(i);
      scores.push(score);
    }
  }
  return { tokens, scores: Float64Array.from(scores) };
}

/** The k-th largest value (1-based), with a size-k min-heap: O(n log k), no sort of the vocabulary. */
export function kthLargest(values: ArrayLike<number>, k: number): number {
  const heap = new KthLargest(k);
  for (let i = 0; i < values.length; i++) heap.push(values[i]);
  return heap.kth();
}

/** A size-k min-heap of the largest values pushed so far. */
class KthLargest {
  private readonly heap: Float64Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.heap = new Float64Array(k);
  }

  push(v: number): void {
    const heap = this.heap;
    if (this.size < this.k) {
      let j = this.size++;
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
      this.siftDown();
    }
  }

  /** The k-th largest value pushed (the smallest kept). */
  kth(): number {
    return this.heap[0];
  }

  private siftDown(): void {
    const heap = this.heap;
    const size = this.size;
    let i = 0;
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
  }
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

/** Index of the first maximum of the penalised row, read as it is. */
function penalisedArgmax(logits: Float32Array, overrides: PenaltyOverrides): number {
  const { tokens, values } = overrides;
  let best = 0;
  let bestValue = -Infinity;
  let next = 0;
  for (let i = 0; i < logits.length; i++) {
    let x = logits[i];
    if (next < tokens.length && tokens[next] === i) x = values[next++];
    if (x > bestValue) {
      bestValue = x;
      best = i;
    }
  }
  return best;
}

/**
 * Pick the next token for one row: greedy when temperature is 0, otherwise a
 * seeded draw from the filtered distribution. The row is read as it is (the
 * penalties are applied to the few tokens they touch); with top-k on, only
 * the candidates are scored, so no vocabulary-sized array is made. Either way
 * the token is the one the full distribution (`samplingDistribution` of
 * `applyPenalties`) draws with the same generator.
 */
export function sampleToken(
  logits: Float32Array,
  options: SamplingOptions,
  ctx: SamplingContext,
  rng: SeededRandom,
): number {
  const overrides = penaltyOverrides(logits, options, ctx);
  const temperature = options.temperature ?? 1;
  if (temperature === 0) return penalisedArgmax(logits, overrides);
  const topK = options.topK ?? 0;
  if (topK > 0 && topK < logits.length) {
    const { tokens, scores } = topKCandidates(logits, topK, temperature, overrides);
    return tokens[drawFrom(filteredProbabilities(scores, options), rng)];
  }
  return drawFromFullRow(logits, overrides, options, rng) ?? referenceDraw(logits, options, ctx, rng);
}

/** The draw as specified: the full distribution (`samplingDistribution` of `applyPenalties`), then `drawFrom`. */
function referenceDraw(
  logits: Float32Array,
  options: SamplingOptions,
  ctx: SamplingContext,
  rng: SeededRandom,
): number {
  return drawFrom(samplingDistribution(applyPenalties(logits, options, ctx), options), rng);
}

/** Scratch for `drawFromFullRow`: the row's probabilities, and the sorted ones for top-p (grown, never shrunk). */
class SamplingScratch {
  static probs = new Float64Array(0);
  static sorted = new Float64Array(0);
}

/**
 * The reference draw without top-k (`referenceDraw`), bit for bit, in four
 * passes over the row and no allocation per call: the maximum, exp and its
 * sum, the normalisation (top-p and min-p applied to the normalised values as
 * the reference does), then the draw, which stops at the drawn token. Top-p's
 * ascending order is a Float64Array sort of the values (equal values add the
 * same to the running mass in any order; which of a tie the cut removes
 * follows the reference's order, higher token ids first). Undefined for a row
 * with a NaN, or without a finite maximum: the reference handles those.
 */
function drawFromFullRow(
  logits: Float32Array,
  overrides: PenaltyOverrides,
  options: SamplingOptions,
  rng: SeededRandom,
): number | undefined {
  const n = logits.length;
  const temperature = options.temperature ?? 1;
  const { tokens: penalised, values: penalisedValues } = overrides;
  // Pass 1: the largest penalised logit. x / temperature is monotone, so the largest score is max / temperature.
  let maxX = -Infinity;
  let next = 0;
  for (let i = 0; i < n; i++) {
    let x = logits[i]!;
    if (next < penalised.length && penalised[next] === i) x = penalisedValues[next++]!;
    if (x !== x) return undefined;
    if (x > maxX) maxX = x;
  }
  const max = maxX / temperature;
  if (!Number.isFinite(max)) return undefined;
  if (SamplingScratch.probs.length < n) SamplingScratch.probs = new Float64Array(n);
  const probs = SamplingScratch.probs;
  // Pass 2: exp(score - max) and its sum, in token order.
  let total = 0;
  next = 0;
  for (let i = 0; i < n; i++) {
    let x = logits[i]!;
    if (next < penalised.length && penalised[next] === i) x = penalisedValues[next++]!;
    const score = x / temperature;
    const e = score === -Infinity ? 0 : Math.exp(score - max);
    probs[i] = e;
    total += e;
  }
  const topP = options.topP ?? 1;
  const minP = options.minP ?? 0;
  let kept = 0;
  if (topP < 1 || minP > 0) {
    for (let i = 0; i < n; i++) probs[i] = probs[i]! / total;
    if (topP < 1) cutTopP(probs, n, topP);
    if (minP > 0) {
      let top = 0;
      for (let i = 0; i < n; i++) if (probs[i]! > top) top = probs[i]!;
      const threshold = minP * top;
      for (let i = 0; i < n; i++) if (probs[i]! < threshold) probs[i] = 0;
    }
    for (let i = 0; i < n; i++) kept += probs[i]!;
  } else {
    // no filter: normalise and sum what is kept in one pass
    for (let i = 0; i < n; i++) {
      const p = probs[i]! / total;
      probs[i] = p;
      kept += p;
    }
  }
  // The draw: drawFrom over probs[i] / kept, stopping at the token drawn.
  const u = rng.next();
  let cum = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i]! / kept;
    if (p <= 0) continue;
    cum += p;
    last = i;
    if (u < cum) return i;
  }
  return last;
}

/**
 * Top-p as `filteredProbabilities` applies it to probs[0, n): the smallest
 * tokens (ascending, ties higher id first) are dropped while their running
 * mass stays <= 1 - topP, the most likely token always kept.
 */
function cutTopP(probs: Float64Array, n: number, topP: number): void {
  if (SamplingScratch.sorted.length < n) SamplingScratch.sorted = new Float64Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) if (probs[i]! > 0) SamplingScratch.sorted[count++] = probs[i]!;
  const sorted = SamplingScratch.sorted.subarray(0, count).sort();
  let cum = 0;
  let removed = 0;
  for (let j = 0; j < count - 1; j++) {
    cum += sorted[j]!;
    if (cum <= 1 - topP) removed++;
    else break;
  }
  if (removed === 0) return;
  const edge = sorted[removed - 1]!;
  let firstEdge = removed - 1;
  while (firstEdge > 0 && sorted[firstEdge - 1] === edge) firstEdge--;
  // Of the tokens tied at the edge value, the highest ids go first (filteredProbabilities' fixed tie order).
  let edgeLeft = removed - firstEdge;
  for (let i = n - 1; i >= 0; i--) {
    const p = probs[i]!;
    if (p > 0 && p < edge) probs[i] = 0;
    else if (p === edge && edgeLeft > 0) {
      probs[i] = 0;
      edgeLeft--;
    }
  }
}

/**
 * A row's candidates as a backend selected them (`selectTopK` of the raw
 * logits with k = topK + the number of penalised tokens, ties included, none
 * cut off by the capacity), and the raw logits of the penalised tokens.
 */
export interface RowCandidates {
  /** Ascending token ids at or above the row's (topK + penalised)-th largest raw logit. */
  tokens: ArrayLike<number>;
  /** Their raw logits. */
  logits: ArrayLike<number>;
  /** `penalisedTokens` of the row, ascending. */
  penalised: readonly number[];
  /** Their raw logits. */
  penalisedLogits: ArrayLike<number>;
}

/**
 * Whether `sampleFromCandidates` can draw with these options: topK in
 * [1, vocab) and a temperature in [1e-200, 1e200].
 */
export function candidateDrawApplies(options: SamplingOptions, vocab: number): boolean {
  const topK = options.topK ?? 0;
  const temperature = options.temperature ?? 1;
  return topK > 0 && topK < vocab && temperature >= 1e-200 && temperature <= 1e200;
}

/**
 * The token `sampleToken` draws from the full row with top-k on, from the
 * row's candidates alone. A token outside the candidates and unpenalised has
 * a raw logit below at least topK unpenalised candidates, so it is no top-k
 * candidate of the penalised row either: scoring the union of the candidates
 * and the penalised tokens, in token order, gives the same k-th largest score,
 * the same candidates and the same draw. Needs topK in [1, vocab) and a
 * temperature in [1e-200, 1e200] (where dividing two distinct float32 values
 * by it keeps them distinct in float64).
 */
export function sampleFromCandidates(
  row: RowCandidates,
  vocab: number,
  options: SamplingOptions,
  ctx: SamplingContext,
  rng: SeededRandom,
): number {
  const topK = options.topK ?? 0;
  const temperature = options.temperature ?? 1;
  if (!candidateDrawApplies(options, vocab))
    throw new Error(
      `sampleFromCandidates: needs topK in [1, ${vocab}) and a temperature in [1e-200, 1e200], got topK ${topK}, temperature ${temperature}`,
    );
  const rawOfPenalised = new Map<number, number>();
  row.penalised.forEach((t, j) => rawOfPenalised.set(t, row.penalisedLogits[j]!));
  const overrides = penaltiesOf(
    (t) => {
      const x = rawOfPenalised.get(t);
      if (x === undefined) throw new Error(`sampleFromCandidates: token ${t} is penalised but its logit was not read`);
      return x;
    },
    vocab,
    options,
    ctx,
  );
  // The union of candidates and penalised tokens, ascending, with the penalised values.
  const tokens: number[] = [];
  const values: number[] = [];
  let c = 0;
  let p = 0;
  while (c < row.tokens.length || p < overrides.tokens.length) {
    const ct = c < row.tokens.length ? row.tokens[c]! : Infinity;
    const pt = p < overrides.tokens.length ? overrides.tokens[p]! : Infinity;
    if (pt <= ct) {
      tokens.push(pt);
      values.push(overrides.values[p++]!);
      if (pt === ct) c++;
    } else {
      tokens.push(ct);
      values.push(row.logits[c++]!);
    }
  }
  if (tokens.length < topK)
    throw new Error(
      `sampleFromCandidates: ${tokens.length} candidates for topK ${topK} (a selection holds at least k)`,
    );
  const picked = topKCandidates(Float32Array.from(values), topK, temperature);
  return tokens[picked.tokens[drawFrom(filteredProbabilities(picked.scores, options), rng)]!]!;
}

/**
 * @internal `sampleToken` and everything it calls, for a worker thread
 * (sampler-pool.ts writes their source there, so a worker draws with exactly
 * this code whether the package runs from its sources, from dist or bundled).
 */
export function sampleTokenParts(): { name: string }[] {
  return [
    SamplingScratch,
    penaltyOverrides,
    penaltiesOf,
    tokenCountsOf,
    float32Penalties,
    applyPenalties,
    samplingDistribution,
    filteredProbabilities,
    undrawableRow,
    topKCandidates,
    kthLargest,
    KthLargest,
    drawFrom,
    penalisedArgmax,
    sampleToken,
    referenceDraw,
    drawFromFullRow,
    cutTopP,
  ];
}

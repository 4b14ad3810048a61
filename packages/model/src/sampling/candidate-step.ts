/**
 * Top-k sampling from candidates the backend selects: a decode step selects
 * each row's top (topK + P) raw logits where the logits lie (P: the tokens the
 * row's penalties touch), gathers those P logits, reads a few numbers per row
 * instead of the vocabulary's, and draws the token `sampleToken` draws from
 * the full row (see `sampleFromCandidates`). `generate` runs these three
 * steps; a caller timing or reusing the path calls the same ones.
 */
import { backendHas, gather, reshape, selectTopK, tensor, type Tensor } from '@molrl/tensor';
import type { SeededRandom } from './prng.js';
import {
  candidateDrawApplies,
  penalisedTokens,
  sampleFromCandidates,
  type SamplingContext,
  type SamplingOptions,
} from './samplers.js';

/** Candidate slots per row beyond k, for ties with the k-th logit (a row whose ties run past them reads its logits). */
export const CANDIDATE_SLACK = 32;

/** What a step selects for its rows: the same for every row, sized by the widest penalty list. */
export interface CandidatePlan {
  readonly vocab: number;
  /** `penalisedTokens` of each row, ascending. */
  readonly penalised: readonly (readonly number[])[];
  /** The longest of those lists. */
  readonly widest: number;
  /** Entries selected per row: topK + widest, at most the vocabulary. */
  readonly k: number;
  /** Slots per row: k + CANDIDATE_SLACK, at most the vocabulary. */
  readonly capacity: number;
}

/** The backend's selection for a step, still on the backend until drawn from. */
export interface SelectedCandidates {
  /** [rows, capacity] token ids, ascending within a row's count. */
  indices: Tensor;
  /** [rows, capacity] their raw logits. */
  values: Tensor;
  /** [rows] entries per row (-1 for a row holding a NaN; more than capacity when ties overflow). */
  counts: Tensor;
  /** [rows, widest, 1] the raw logits of each row's penalised tokens (a short list padded with token 0). */
  penalisedLogits?: Tensor;
}

/**
 * Whether sampling with these options can draw from selected candidates: top-k
 * in [1, vocab), a temperature whose division keeps distinct float32 logits
 * distinct, and a backend with `selectTopK` and `gatherRows`.
 */
export function candidateSamplingApplies(options: SamplingOptions, vocab: number): boolean {
  return candidateDrawApplies(options, vocab) && backendHas('selectTopK', 'gatherRows');
}

/** The selection's sizes for rows with these contexts. */
export function planCandidates(
  options: SamplingOptions,
  contexts: readonly SamplingContext[],
  vocab: number,
): CandidatePlan {
  const penalised = contexts.map((ctx) => penalisedTokens(options, ctx, vocab));
  const widest = penalised.reduce((m, p) => Math.max(m, p.length), 0);
  const k = Math.min((options.topK ?? 0) + widest, vocab);
  return { vocab, penalised, widest, k, capacity: Math.min(k + CANDIDATE_SLACK, vocab) };
}

/**
 * Each row's candidates of `logits` (rows x vocab entries, any shape: [rows, V]
 * or a step's [rows, 1, V]) on the backend, by raw logit, and the raw logits
 * of every row's penalised tokens. Run it inside `tidy` with the step's work.
 */
export function selectCandidates(logits: Tensor, plan: CandidatePlan): SelectedCandidates {
  const { vocab: v, penalised, widest, k, capacity } = plan;
  const rows = penalised.length;
  if (logits.size !== rows * v) {
    throw new Error(
      `selectCandidates: logits hold ${logits.size} entries, the plan's ${rows} rows x ${v} tokens need ${rows * v}`,
    );
  }
  const selection = selectTopK(reshape(logits, [rows, v]), k, capacity);
  if (widest === 0) return selection;
  const at = new Int32Array(rows * widest);
  penalised.forEach((p, j) => {
    for (let q = 0; q < widest; q++) at[j * widest + q] = j * v + (p[q] ?? 0);
  });
  const penalisedLogits = gather(reshape(logits, [rows * v, 1]), tensor(at, [rows, widest], { dtype: 'int32' }));
  return { ...selection, penalisedLogits };
}

/**
 * One token per row from what the backend selected: the four reads issued
 * together (a GPU's round trips overlap), then `sampleFromCandidates` per row
 * with the row's generator. Null where a row's candidates fall short (a NaN in
 * the row, or ties past the slots): the caller draws from the full rows.
 */
export async function drawFromCandidates(
  selected: SelectedCandidates,
  plan: CandidatePlan,
  options: SamplingOptions,
  rows: readonly { rng: SeededRandom; ctx: SamplingContext }[],
): Promise<number[] | null> {
  const { vocab: v, penalised, widest, capacity } = plan;
  if (rows.length !== penalised.length)
    throw new Error(`drawFromCandidates: ${rows.length} rows, the plan has ${penalised.length}`);
  const [counts, indices, values, penalisedLogits] = await Promise.all([
    selected.counts.intData(),
    selected.indices.intData(),
    selected.values.data(),
    selected.penalisedLogits?.data() ?? new Float32Array(0),
  ]);
  if (!counts.every((n) => n >= 0 && n <= capacity)) return null;
  return rows.map(({ rng, ctx }, j) => {
    const at = j * capacity;
    const row = {
      tokens: indices.subarray(at, at + counts[j]!),
      logits: values.subarray(at, at + counts[j]!),
      penalised: penalised[j]!,
      penalisedLogits: penalisedLogits.subarray(j * widest, j * widest + penalised[j]!.length),
    };
    return sampleFromCandidates(row, v, options, ctx, rng);
  });
}

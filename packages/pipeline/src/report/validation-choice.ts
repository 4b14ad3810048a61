/**
 * The rule the hyperparameter sweep chooses by, kept apart from the sweep so
 * that it is tested: candidates are compared key by key (the first key where
 * two differ decides; NLLs lower is better, pass rates higher), and the
 * training seeds a sweep runs on must not be the seeds the reported runs are
 * evaluated with; otherwise the setting is chosen on the very models the
 * tables then score, only on other tasks.
 */

/** What a candidate is chosen by: pass@1 (overall, depot kinds) and NLLs (probe, depot answer). */
export interface CandidateScore {
  /** Overall pass@1 on the validation tasks. */
  all: number;
  /** Pass@1 on the depot kinds. */
  depot: number;
  /** General-ability probe NLL per token. */
  probe: number;
  /** Depot answer NLL per token (the knowledge probe). */
  knowledge: number;
}

export type ScoreKey = keyof CandidateScore;

const LOWER_IS_BETTER: ReadonlySet<ScoreKey> = new Set<ScoreKey>(['probe', 'knowledge']);

/** Differences at or below this are ties (summed floating-point rates differ in the last bits). */
const TIE = 1e-12;

/** Whether `a` beats `b` on the first of `keys` where they differ. */
export function beats(a: CandidateScore, b: CandidateScore, keys: readonly ScoreKey[]): boolean {
  for (const key of keys) {
    const d = LOWER_IS_BETTER.has(key) ? b[key] - a[key] : a[key] - b[key];
    if (Math.abs(d) > TIE) return d > 0;
  }
  return false;
}

/** The index of the best score by `keys` (the earliest of those tied on every key). */
export function bestIndex(scores: readonly CandidateScore[], keys: readonly ScoreKey[]): number {
  if (!scores.length) throw new Error('bestIndex: no candidates');
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (beats(scores[i]!, scores[best]!, keys)) best = i;
  return best;
}

/** Throws unless the sweep's seeds are distinct and none is an evaluation seed. */
export function checkValidationSeeds(seeds: readonly number[], evaluationSeeds: readonly number[]): void {
  if (!seeds.length) throw new Error('validation seeds: none given');
  const repeated = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (repeated !== undefined) throw new Error(`validation seeds: seed ${repeated} is given twice`);
  const shared = seeds.filter((s) => evaluationSeeds.includes(s));
  if (shared.length)
    throw new Error(
      `validation seeds: ${shared.join(', ')} ${shared.length > 1 ? 'are also evaluation seeds' : 'is also an evaluation seed'} (${evaluationSeeds.join(', ')}): a setting chosen there would be chosen on the models the reported runs evaluate; take other seeds`,
    );
}

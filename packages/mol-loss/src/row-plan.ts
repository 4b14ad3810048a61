/**
 * Which rows carry which loss, and with what weight: the host-side half of the
 * MoL objective. Labels, targets and the EETB marks live on the host, so the
 * per-row coefficients are computed here once and the device only multiplies.
 */

/**
 * Which part of the trace a token belongs to: `@molrl/trace-dataset`'s per-token labels,
 * written out by value so that the loss does not depend on the data package
 * (`row-plan.types.test.ts` checks the two stay the same).
 */
export type TokenLabel = 'prompt' | 'decision' | 'feedback' | 'glue';

export const TOKEN_LABELS: readonly TokenLabel[] = ['prompt', 'decision', 'feedback', 'glue'];

/**
 * - `mol`: CE on feedback rows, KL(p_base || p_theta) on decision rows (the paper's MoL).
 * - `ce`: CE on decision and feedback rows (the paper's "CE" ablation).
 * - `ce_nokl`: CE on feedback rows, nothing on decision rows ("CE_NoKL").
 */
export type MolMode = 'mol' | 'ce' | 'ce_nokl';

/**
 * How the per-row terms become `loss` (the reported `ce` and `kl` are always
 * the mean over their own rows):
 * - `separate` (default): `loss = ce + klWeight * kl`, each part the mean over its own rows
 *   (a batch with few decision rows still weighs KL fully).
 * - `token`: one mean over every trained row of the batch,
 *   `loss = (sum nll + klWeight * sum kl) / (nCe + nKl)`: the parts weigh in proportion
 *   to their token counts (the paper's "relaxed" mixing).
 * - `sequence`: the same mean within each sequence (`sequenceIds`), then the mean over
 *   the sequences that have a trained row (long traces do not dominate).
 */
export type Normalization = 'separate' | 'token' | 'sequence';

/** Row kinds. */
export const NO_LOSS = 0;
export const CE_ROW = 1;
export const KL_ROW = 2;

export interface RowPlanOptions {
  mode?: MolMode;
  /**
   * EETB: leave the rows of empty `<think>\n\n</think>` blocks out of the loss.
   * `true` uses `emptyThink`; an array is the marks themselves (one per row, truthy = excluded).
   */
  eetb?: boolean | ArrayLike<boolean | number>;
  /** Per-row marks of empty-think tokens (trace-dataset's `emptyThink`), read when `eetb` is `true`. */
  emptyThink?: ArrayLike<boolean | number>;
  normalization?: Normalization;
  /** Weight of the KL part in `loss` (default 1). */
  klWeight?: number;
  /** Per-row sequence index, required by `normalization: 'sequence'` (packed rows: the segment). */
  sequenceIds?: ArrayLike<number>;
}

export interface LossCounts {
  /** Decision rows that are in the loss (KL in `mol`, CE in `ce`, none in `ce_nokl`). */
  decision: number;
  /** Feedback rows in the loss (CE). */
  feedback: number;
  /** Decision or feedback rows left out by EETB. */
  excluded: number;
}

export interface RowPlan {
  rows: number;
  /** NO_LOSS, CE_ROW or KL_ROW per row. */
  kind: Uint8Array;
  /** d loss / d (row term). */
  coefLoss: Float32Array;
  /** d ce / d (row nll): 1 / nCe on CE rows. */
  coefCe: Float32Array;
  /** d kl / d (row kl): 1 / nKl on KL rows. */
  coefKl: Float32Array;
  /** Targets with the rows outside the CE set replaced by 0 (so -100 style fillers are harmless). */
  targets: Int32Array;
  ceRows: number;
  klRows: number;
  counts: LossCounts;
}

/** A value as an error shows it: a string quoted, an object by its kind. */
function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? typeof v : String(v);
}

export function isTokenLabel(x: unknown): x is TokenLabel {
  return x === 'prompt' || x === 'decision' || x === 'feedback' || x === 'glue';
}

/**
 * Build the plan. `targets` may be null when they live on the device (then they
 * are not checked here and must be valid token ids on every row).
 */
export function planRows(
  where: string,
  labels: ArrayLike<TokenLabel>,
  targets: ArrayLike<number> | null,
  vocabSize: number,
  options: RowPlanOptions = {},
): RowPlan {
  const n = labels.length;
  const mode = options.mode ?? 'mol';
  if (mode !== 'mol' && mode !== 'ce' && mode !== 'ce_nokl') {
    throw new Error(`${where}: mode must be 'mol', 'ce' or 'ce_nokl', got ${JSON.stringify(mode)}`);
  }
  const normalization = options.normalization ?? 'separate';
  if (normalization !== 'separate' && normalization !== 'token' && normalization !== 'sequence') {
    throw new Error(
      `${where}: normalization must be 'separate', 'token' or 'sequence', got ${JSON.stringify(normalization)}`,
    );
  }
  const klWeight = options.klWeight ?? 1;
  if (typeof klWeight !== 'number' || !Number.isFinite(klWeight) || klWeight < 0)
    throw new Error(`${where}: klWeight must be a finite number >= 0, got ${shown(klWeight)}`);
  if (targets && targets.length !== n)
    throw new Error(`${where}: ${targets.length} targets for ${n} labels (one target per row)`);

  let marks: ArrayLike<boolean | number> | null = null;
  const eetb: unknown = options.eetb;
  // Anything else (a string, a number) was read as "no EETB": the empty-think rows trained.
  if (
    eetb !== undefined &&
    typeof eetb !== 'boolean' &&
    !(typeof eetb === 'object' && eetb !== null && typeof (eetb as ArrayLike<unknown>).length === 'number')
  )
    throw new Error(`${where}: eetb must be true, false or one mark per row, got ${shown(eetb)}`);
  if (options.eetb === true) {
    if (!options.emptyThink) throw new Error(`${where}: eetb is true but no emptyThink marks were given`);
    marks = options.emptyThink;
  } else if (options.eetb && typeof options.eetb === 'object') {
    marks = options.eetb;
  }
  if (marks && marks.length !== n) throw new Error(`${where}: ${marks.length} EETB marks for ${n} rows`);

  const kind = new Uint8Array(n);
  const safeTargets = new Int32Array(n);
  const counts: LossCounts = { decision: 0, feedback: 0, excluded: 0 };
  let ceRows = 0;
  let klRows = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (!isTokenLabel(label)) {
      throw new Error(
        `${where}: labels[${i}] is ${JSON.stringify(label)}; expected 'prompt', 'decision', 'feedback' or 'glue'`,
      );
    }
    if (label === 'prompt' || label === 'glue') continue;
    if (marks && marks[i]) {
      counts.excluded++;
      continue;
    }
    let k = NO_LOSS;
    if (label === 'feedback') k = CE_ROW;
    else if (mode === 'mol') k = KL_ROW;
    else if (mode === 'ce') k = CE_ROW;
    if (k === NO_LOSS) continue;
    kind[i] = k;
    if (label === 'feedback') counts.feedback++;
    else counts.decision++;
    if (k === CE_ROW) {
      ceRows++;
      if (targets) {
        const t = targets[i]!;
        if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
          throw new Error(`${where}: targets[${i}] = ${t} (a ${label} row) is not a token id in [0, ${vocabSize})`);
        }
        safeTargets[i] = t;
      }
    } else {
      klRows++;
    }
  }

  const coefCe = new Float32Array(n);
  const coefKl = new Float32Array(n);
  const coefLoss = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (kind[i] === CE_ROW) coefCe[i] = 1 / ceRows;
    else if (kind[i] === KL_ROW) coefKl[i] = 1 / klRows;
  }
  if (normalization === 'separate') {
    for (let i = 0; i < n; i++) coefLoss[i] = kind[i] === CE_ROW ? coefCe[i]! : klWeight * coefKl[i]!;
  } else if (normalization === 'token') {
    const total = ceRows + klRows;
    for (let i = 0; i < n; i++) {
      if (kind[i] === CE_ROW) coefLoss[i] = 1 / total;
      else if (kind[i] === KL_ROW) coefLoss[i] = klWeight / total;
    }
  } else {
    const seq = options.sequenceIds;
    if (!seq) throw new Error(`${where}: normalization 'sequence' needs sequenceIds (one sequence index per row)`);
    if (seq.length !== n) throw new Error(`${where}: ${seq.length} sequenceIds for ${n} rows`);
    const trained = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if (kind[i] === NO_LOSS) continue;
      // NaN, strings or fractions would make sequences of their own (or one of many rows).
      if (!Number.isInteger(seq[i]))
        throw new Error(`${where}: sequenceIds[${i}] = ${shown(seq[i])} is not an integer sequence index`);
      trained.set(seq[i]!, (trained.get(seq[i]!) ?? 0) + 1);
    }
    const sequences = trained.size;
    for (let i = 0; i < n; i++) {
      if (kind[i] === NO_LOSS) continue;
      const w = 1 / (sequences * trained.get(seq[i]!)!);
      coefLoss[i] = kind[i] === KL_ROW ? klWeight * w : w;
    }
  }
  return { rows: n, kind, coefLoss, coefCe, coefKl, targets: safeTargets, ceRows, klRows, counts };
}

/** Row indices of one kind, as int32 (for gathering rows). */
export function rowsOfKind(plan: RowPlan, k: number): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < plan.rows; i++) if (plan.kind[i] === k) out.push(i);
  return Int32Array.from(out);
}

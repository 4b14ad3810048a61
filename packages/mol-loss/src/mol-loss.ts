/**
 * The MoL loss on logits [N, V]: CE of the target on feedback rows,
 * KL(p_base || p_theta) over the whole vocabulary on decision rows.
 *
 * One custom op with three outputs (loss, ce, kl). The forward walks the rows
 * in chunks and, inside each, the vocabulary in chunks: per vocabulary chunk it
 * keeps only a row log-sum-exp and the chunk-local expectation
 * E_{q_c}[b - z] (q_c = softmax of the base logits restricted to the chunk);
 * the full-vocabulary values follow by combining the chunks:
 *   lse = LSE_c(lse_c),   KL = sum_c exp(lseB_c - lseB) E_{q_c}[b - z] + lseZ - lseB.
 * No softmax of a whole row is ever formed, for either distribution. The
 * backward writes d/dz = c (softmax(z) - onehot(target)) on CE rows and
 * c (softmax(z) - softmax(b)) on KL rows, chunk by chunk from the saved
 * log-sum-exps. That gradient is itself [N, V], the size of `logits`; for the
 * real vocabulary use `fusedMolLoss`, which never forms [N, V] at all.
 */
import {
  Tensor,
  concat,
  customOp,
  exp,
  kernelOp,
  logSumExp,
  mul,
  reshape,
  slice,
  stack,
  sub,
  sum,
  add,
  takeAlongAxis,
  tensor,
  tidy,
  zeros,
  checkChunkSize,
  chunkRanges,
} from '@molrl/tensor';
import { checkOptionNames, optionNames, type OptionKeys } from '@molrl/hub-cache';
import {
  CE_ROW,
  KL_ROW,
  planRows,
  type LossCounts,
  type MolMode,
  type Normalization,
  type TokenLabel,
} from './row-plan.js';

export interface MolLossChunking {
  /** Rows per chunk (default 1024). */
  rowChunk?: number;
  /** Vocabulary entries per chunk (default 8192). */
  vocabChunk?: number;
}

export interface MolLossOptions extends MolLossChunking {
  /** The trained model's logits [N, V]; row i predicts targets[i]. */
  logits: Tensor;
  /** The base model's logits [N, V] (same model, adapter off, under noGrad). Not needed in 'ce' and 'ce_nokl' modes. */
  baseLogits?: Tensor | null;
  /** Next-token ids [N] (int32 tensor or host numbers); rows without CE may hold any filler (e.g. -100) when given on the host. */
  targets: Tensor | ArrayLike<number>;
  /** trace-dataset's per-token labels, aligned with the rows. */
  labels: ArrayLike<TokenLabel>;
  /** 'mol' (default), 'ce' or 'ce_nokl'. */
  mode?: MolMode;
  /** EETB: `true` to leave out rows marked in `emptyThink`, or the per-row marks themselves. */
  eetb?: boolean | ArrayLike<boolean | number>;
  /** trace-dataset's per-row empty-think marks (read when `eetb` is `true`). */
  emptyThink?: ArrayLike<boolean | number>;
  /** 'separate' (default: loss = ce + klWeight * kl), 'token' or 'sequence'. See `Normalization`. */
  normalization?: Normalization;
  klWeight?: number;
  /** Per-row sequence index for normalization 'sequence'. */
  sequenceIds?: ArrayLike<number>;
}

export interface MolLossResult {
  /** Scalar; gradients flow to `logits` (or hidden states and LM head in the fused form). */
  loss: Tensor;
  /** Mean over the CE rows of -log softmax(logits)[target] (scalar; 0 without CE rows). Differentiable. */
  ce: Tensor;
  /** Mean over the KL rows of KL(p_base || p_theta) (scalar; 0 without KL rows). Differentiable. */
  kl: Tensor;
  counts: LossCounts;
}

/** The options `molLoss` and `fusedMolLoss` share: all of `MolLossOptions` but the logits. */
export const SHARED_MOL_LOSS_OPTION_KEYS = {
  targets: true,
  labels: true,
  mode: true,
  eetb: true,
  emptyThink: true,
  normalization: true,
  klWeight: true,
  sequenceIds: true,
  rowChunk: true,
  vocabChunk: true,
} as const satisfies OptionKeys<Omit<MolLossOptions, 'logits' | 'baseLogits'>>;

/** The names of `MolLossOptions` (the typecheck keeps the list complete). */
const MOL_LOSS_OPTION_NAMES = optionNames<MolLossOptions>({
  ...SHARED_MOL_LOSS_OPTION_KEYS,
  logits: true,
  baseLogits: true,
});

/**
 * The options argument of a loss function: an object of known keys (hub-cache's rule: a misspelt
 * `kl_weight` or `normalisation` must not train with the default), with labels given.
 */
export function checkLossOptions(options: unknown, known: readonly string[], where: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${where}: expected an options object, got ${options === null ? 'null' : typeof options}`);
  checkOptionNames(options, known, where);
  const { labels } = options as { labels?: unknown };
  if (typeof labels !== 'object' || labels === null || typeof (labels as ArrayLike<unknown>).length !== 'number')
    throw new TypeError(`${where}: labels must be an array of token labels (one per row), got ${typeof labels}`);
}

/** A tensor argument, or a TypeError naming it. */
export function checkTensor(where: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor))
    throw new TypeError(
      `${where}: ${name} must be a @molrl/tensor Tensor, got ${t === null ? 'null' : Array.isArray(t) ? 'an array' : (t?.constructor?.name ?? typeof t)}`,
    );
}

export const DEFAULT_ROW_CHUNK = 1024;
export const DEFAULT_VOCAB_CHUNK = 8192;

/** Host targets as an int32 array, or null when they are a device tensor. */
export function hostTargets(
  where: string,
  targets: Tensor | ArrayLike<number>,
  rows: number,
): ArrayLike<number> | null {
  if (targets instanceof Tensor) {
    if (targets.dtype !== 'int32') throw new Error(`${where}: targets must be an int32 tensor, got ${targets.dtype}`);
    if (targets.rank !== 1 || targets.shape[0] !== rows)
      throw new Error(`${where}: targets have shape [${targets.shape.join(', ')}], expected [${rows}]`);
    return null;
  }
  if (targets.length !== rows) throw new Error(`${where}: ${targets.length} targets for ${rows} rows`);
  return targets;
}

function anyOf(kind: Uint8Array, start: number, size: number, k: number): boolean {
  for (let i = start; i < start + size; i++) if (kind[i] === k) return true;
  return false;
}

function anyTrained(kind: Uint8Array, start: number, size: number): boolean {
  for (let i = start; i < start + size; i++) if (kind[i] !== 0) return true;
  return false;
}

/** Per-row coefficients split by kind: a[i] = coef[i] where kind[i] === k, else 0. */
export function coefOfKind(kind: Uint8Array, coef: Float32Array, k: number): Float32Array {
  const out = new Float32Array(coef.length);
  for (let i = 0; i < coef.length; i++) if (kind[i] === k) out[i] = coef[i]!;
  return out;
}

/** The MoL loss from full logits. See the module comment for the computation. */
export function molLoss(options: MolLossOptions): MolLossResult {
  const where = 'molLoss';
  checkLossOptions(options, MOL_LOSS_OPTION_NAMES, where);
  const { logits } = options;
  if (!(logits instanceof Tensor) || logits.rank !== 2) throw new Error(`${where}: logits must be a tensor [N, V]`);
  if (options.baseLogits !== undefined && options.baseLogits !== null)
    checkTensor(where, 'baseLogits', options.baseLogits);
  const [n, v] = logits.shape as [number, number];
  if (options.labels.length !== n) throw new Error(`${where}: ${options.labels.length} labels for ${n} rows of logits`);
  const host = hostTargets(where, options.targets, n);
  const plan = planRows(where, options.labels, host, v, options);
  const base = options.baseLogits ?? null;
  if (plan.klRows > 0) {
    if (!base) throw new Error(`${where}: mode 'mol' has ${plan.klRows} decision rows but no baseLogits were given`);
    if (base.rank !== 2 || base.shape[0] !== n || base.shape[1] !== v) {
      throw new Error(`${where}: baseLogits have shape [${base.shape.join(', ')}], logits [${n}, ${v}]`);
    }
  }
  const rowChunk = checkChunkSize(where, 'rowChunk', options.rowChunk, DEFAULT_ROW_CHUNK);
  const vocabChunk = checkChunkSize(where, 'vocabChunk', options.vocabChunk, DEFAULT_VOCAB_CHUNK);
  const rowParts = chunkRanges(n, rowChunk);
  const vocabParts = chunkRanges(v, vocabChunk);
  const lossCe = coefOfKind(plan.kind, plan.coefLoss, CE_ROW);
  const lossKl = coefOfKind(plan.kind, plan.coefLoss, KL_ROW);
  const useBase = plan.klRows > 0;

  const op = customOp(
    'molLoss',
    (inputs, ctx) => {
      const [z, targets] = [inputs[0]!, inputs[1]!];
      const b = useBase ? inputs[2]! : null;
      const lseZParts: Tensor[] = [];
      const lseBParts: Tensor[] = [];
      const klParts: Tensor[] = [];
      for (const [r0, rows] of rowParts) {
        const withKl = b !== null && anyOf(plan.kind, r0, rows, KL_ROW);
        // Each chunk's [rows, cols] temporaries are released before the next chunk.
        const perChunk = vocabParts.map(([c0, cols]) =>
          tidy(() => {
            const zc = slice(z, [r0, c0], [rows, cols]);
            const lseZ = logSumExp(zc, 1);
            if (!withKl) return { lseZ };
            const bc = slice(b, [r0, c0], [rows, cols]);
            const lb = logSumExp(bc, 1, { keepDims: true });
            const q = exp(sub(bc, lb));
            return { lseZ, lseB: reshape(lb, [rows]), expect: sum(mul(q, sub(bc, zc)), 1) };
          }),
        );
        const lseZ = logSumExp(
          stack(
            perChunk.map((c) => c.lseZ),
            1,
          ),
          1,
        );
        lseZParts.push(lseZ);
        if (withKl) {
          const lbStack = stack(
            perChunk.map((c) => c.lseB!),
            1,
          );
          const lseB = logSumExp(lbStack, 1);
          const weights = exp(sub(lbStack, reshape(lseB, [rows, 1])));
          klParts.push(
            add(
              sum(
                mul(
                  weights,
                  stack(
                    perChunk.map((c) => c.expect!),
                    1,
                  ),
                ),
                1,
              ),
              sub(lseZ, lseB),
            ),
          );
          lseBParts.push(lseB);
        } else {
          klParts.push(zeros([rows]));
          lseBParts.push(zeros([rows]));
        }
      }
      const lseZ = concat(lseZParts, 0);
      const lseB = concat(lseBParts, 0);
      const kl = concat(klParts, 0);
      const nll = sub(lseZ, takeAlongAxis(z, targets));
      ctx.save(lseZ, lseB, z, targets, ...(b ? [b] : []));
      const loss = add(sum(mul(nll, tensor(lossCe))), sum(mul(kl, tensor(lossKl))));
      const ce = sum(mul(nll, tensor(plan.coefCe)));
      const klMean = sum(mul(kl, tensor(plan.coefKl)));
      return [loss, ce, klMean];
    },
    (grads, saved) =>
      tidy(() => {
        const [gLoss, gCe, gKl] = grads as [Tensor, Tensor, Tensor];
        const [lseZ, lseB, z, targets, b] = saved as [Tensor, Tensor, Tensor, Tensor, Tensor | undefined];
        // Per-row coefficient on (softmax(z) - onehot) and on (softmax(z) - softmax(b)).
        const cCe = add(mul(gLoss, tensor(lossCe)), mul(gCe, tensor(plan.coefCe)));
        const cKl = add(mul(gLoss, tensor(lossKl)), mul(gKl, tensor(plan.coefKl)));
        const rowsOut: Tensor[] = [];
        for (const [r0, rows] of rowParts) {
          if (!anyTrained(plan.kind, r0, rows)) {
            rowsOut.push(zeros([rows, v]));
            continue;
          }
          rowsOut.push(
            tidy(() => {
              const withKl = b !== undefined && anyOf(plan.kind, r0, rows, KL_ROW);
              const ceR = reshape(slice(cCe, [r0], [rows]), [rows, 1]);
              const klR = reshape(slice(cKl, [r0], [rows]), [rows, 1]);
              const allR = add(ceR, klR);
              const lz = reshape(slice(lseZ, [r0], [rows]), [rows, 1]);
              const lb = withKl ? reshape(slice(lseB, [r0], [rows]), [rows, 1]) : null;
              const cols = vocabParts.map(([c0, width]) =>
                tidy(() => {
                  const pz = exp(sub(slice(z, [r0, c0], [rows, width]), lz));
                  const g = mul(pz, allR);
                  return withKl ? sub(g, mul(exp(sub(slice(b!, [r0, c0], [rows, width]), lb!)), klR)) : g;
                }),
              );
              const block = cols.length === 1 ? cols[0]! : concat(cols, 1);
              if (!anyOf(plan.kind, r0, rows, CE_ROW)) return block;
              const [onehot] = kernelOp('putAlongAxis', [reshape(ceR, [rows]), slice(targets, [r0], [rows])], {
                size: v,
              });
              return sub(block, onehot!);
            }),
          );
        }
        const grad = rowsOut.length === 1 ? rowsOut[0]! : concat(rowsOut, 0);
        return useBase ? [grad, null, null] : [grad, null];
      }),
  );

  const targetsTensor = host ? tensor(plan.targets) : (options.targets as Tensor);
  const inputs = useBase ? [logits, targetsTensor, base!] : [logits, targetsTensor];
  const [loss, ce, kl] = op(...inputs) as [Tensor, Tensor, Tensor];
  if (host) targetsTensor.dispose();
  return { loss, ce, kl, counts: plan.counts };
}

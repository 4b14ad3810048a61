/**
 * What the KL term needs of the base distribution, per row, when the trained
 * model's LM head W is frozen (LoRA): with z = h W^T and p_b the base's
 * next-token distribution,
 *   KL(p_b || p_theta) = E_{p_b}[log p_b] - E_{p_b}[z] + lse(z)
 *                      = -H(p_b) - h . E_{p_b}[W_v] + lse(z)
 *   d KL / d h         = softmax(z) W - E_{p_b}[W_v]
 * so a row's base distribution enters only through its mean head row
 * m = E_{p_b}[W_v] ([H]) and its entropy H(p_b) (a scalar): O(H) per row, not
 * O(V). Both are constants of training (the base and W are frozen), so a
 * trainer can compute them once per example and reuse them every epoch,
 * without the base model's forward pass or a second pass over the vocabulary
 * (as TRL's `precompute_ref_log_probs` does for DPO's reference model).
 *
 * Computed chunk by chunk over the vocabulary (an online softmax); the base
 * logits never exist whole.
 */
import {
  Tensor,
  add,
  checkChunkSize,
  chunkRanges,
  concat,
  dispose,
  exp,
  foldSoftmaxChunk,
  gather,
  headRowsFloat32,
  logSumExp,
  matmul,
  mul,
  noGrad,
  onlineSoftmax,
  reshape,
  slice,
  sub,
  sum,
  tensor,
  tidy,
  type OnlineSoftmaxState,
} from '@molrl/tensor';
import { checkOptionNames, optionNames } from '@molrl/hub-cache';
import { checkTensor, DEFAULT_ROW_CHUNK, DEFAULT_VOCAB_CHUNK, type MolLossChunking } from './mol-loss.js';

/** The base distribution of each row as the KL term uses it (see the module comment). */
export interface BaseDistribution {
  /** [R, H]: E_{p_base}[W_v], the base distribution's mean row of the trained LM head. */
  meanHead: Tensor;
  /** [R]: the entropy of p_base, in nats. */
  entropy: Tensor;
}

export interface BaseDistributionOptions extends MolLossChunking {
  /** The base model's final hidden states [N, H] (or [B, T, H], flattened to rows). */
  baseHidden: Tensor;
  /** The trained model's LM head [V, H] (frozen; float32, bfloat16 or float16). */
  lmHeadWeight: Tensor;
  /** The base model's LM head when it differs from `lmHeadWeight`; default `lmHeadWeight`. */
  baseLmHeadWeight?: Tensor | null;
  /** Only these rows of `baseHidden`, in this order (default: every row). */
  rows?: ArrayLike<number>;
}

/** The names of `BaseDistributionOptions` (the typecheck keeps the list complete). */
const BASE_DISTRIBUTION_OPTION_NAMES = optionNames<BaseDistributionOptions>({
  baseHidden: true,
  lmHeadWeight: true,
  baseLmHeadWeight: true,
  rows: true,
  rowChunk: true,
  vocabChunk: true,
});

/**
 * The base distribution's mean head row and entropy for rows of `baseHidden`,
 * under no-grad. Pass the result (rows aligned with the loss rows) to
 * `fusedMolLoss({ baseDistribution })`.
 */
export function baseDistribution(options: BaseDistributionOptions): BaseDistribution {
  const where = 'baseDistribution';
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${where}: expected an options object, got ${options === null ? 'null' : typeof options}`);
  checkOptionNames(options, BASE_DISTRIBUTION_OPTION_NAMES, where);
  checkTensor(where, 'baseHidden', options.baseHidden);
  checkTensor(where, 'lmHeadWeight', options.lmHeadWeight);
  if (options.baseLmHeadWeight !== undefined && options.baseLmHeadWeight !== null)
    checkTensor(where, 'baseLmHeadWeight', options.baseLmHeadWeight);
  const { lmHeadWeight: w } = options;
  const wb = options.baseLmHeadWeight ?? w;
  const hidden = options.baseHidden;
  if (hidden.rank < 2)
    throw new Error(`${where}: baseHidden must be [N, H] or [B, T, H], got [${hidden.shape.join(', ')}]`);
  if (w.rank !== 2) throw new Error(`${where}: lmHeadWeight must be [V, H], got [${w.shape.join(', ')}]`);
  const h = hidden.shape[hidden.rank - 1]!;
  const n = hidden.size / h;
  if (w.shape[1] !== h)
    throw new Error(`${where}: lmHeadWeight [${w.shape.join(', ')}] does not match hidden size ${h}`);
  if (wb.rank !== 2 || wb.shape[0] !== w.shape[0] || wb.shape[1] !== h) {
    throw new Error(
      `${where}: baseLmHeadWeight [${wb.shape.join(', ')}] does not match lmHeadWeight [${w.shape.join(', ')}]`,
    );
  }
  const given = options.rows;
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object' || typeof given.length !== 'number')
      throw new TypeError(`${where}: rows must be an array of row indices, got ${typeof given}`);
    // Checked as given: Int32Array.from would make NaN row 0 and 2.5 row 2.
    for (let i = 0; i < given.length; i++) {
      const r = given[i];
      if (!Number.isInteger(r))
        throw new Error(
          `${where}: rows[${i}] = ${typeof r === 'string' ? JSON.stringify(r) : String(r)} is not a row index (an integer)`,
        );
      if (!(r! >= 0 && r! < n)) throw new Error(`${where}: rows[${i}] = ${r} is outside the ${n} rows of baseHidden`);
    }
  }
  const rows = given ? Int32Array.from(given) : null;
  const rowChunk = checkChunkSize(where, 'rowChunk', options.rowChunk, DEFAULT_ROW_CHUNK);
  const vocabParts = chunkRanges(
    w.shape[0]!,
    checkChunkSize(where, 'vocabChunk', options.vocabChunk, DEFAULT_VOCAB_CHUNK),
  );
  const count = rows ? rows.length : n;
  if (count === 0) return { meanHead: tensor(new Float32Array(0), [0, h]), entropy: tensor(new Float32Array(0), [0]) };
  return noGrad(() =>
    tidy(() => {
      const flat = hidden.rank === 2 ? hidden : reshape(hidden, [n, h]);
      const means: Tensor[] = [];
      const entropies: Tensor[] = [];
      for (const [r0, size] of chunkRanges(count, rowChunk)) {
        // A scope per row chunk: its gathered rows go as soon as its head is done, not at the end.
        const part = tidy(() => {
          const x = rows
            ? gather(flat, tensor(rows.subarray(r0, r0 + size)))
            : size === n
              ? flat
              : sliceRows(flat, r0, size);
          return wb === w ? sharedHead(x, w, vocabParts) : ownHead(x, w, wb, vocabParts);
        });
        means.push(part.meanHead);
        entropies.push(part.entropy);
      }
      return {
        meanHead: means.length === 1 ? means[0]! : concat(means, 0),
        entropy: entropies.length === 1 ? entropies[0]! : concat(entropies, 0),
      };
    }),
  );
}

function sliceRows(x: Tensor, start: number, size: number): Tensor {
  return slice(x, [start, 0], [size, -1]);
}

/** Shared head: one online softmax gives m = softmax(b) W and lse(b); E_{p_b}[b] = m . h_b. */
function sharedHead(x: Tensor, w: Tensor, vocabParts: ReturnType<typeof chunkRanges>): BaseDistribution {
  const st = onlineSoftmax(x, w, vocabParts);
  const rows = x.shape[0]!;
  return { meanHead: st.acc!, entropy: sub(reshape(st.lse, [rows]), sum(mul(st.acc!, x), 1)) };
}

/** The base's own head: softmax(h_b W_b^T) weighs the rows of the trained head W, and E_{p_b}[b] is folded per chunk. */
function ownHead(x: Tensor, w: Tensor, wb: Tensor, vocabParts: ReturnType<typeof chunkRanges>): BaseDistribution {
  let st: { soft: OnlineSoftmaxState; expect: Tensor } | null = null;
  for (const [c0, cols] of vocabParts) {
    const prev: { soft: OnlineSoftmaxState; expect: Tensor } | null = st;
    const next: { soft: OnlineSoftmaxState; expect: Tensor } = tidy(() => {
      const bc = matmul(x, headRowsFloat32(wb, c0, cols), { transposeB: true });
      const lb = logSumExp(bc, 1, { keepDims: true });
      const q = exp(sub(bc, lb));
      const e = sum(mul(q, bc), 1, { keepDims: true });
      const folded = foldSoftmaxChunk(prev?.soft ?? null, lb, matmul(q, headRowsFloat32(w, c0, cols)));
      const expect = prev ? add(mul(prev.expect, folded.oldScale!), mul(e, folded.chunkScale!)) : e;
      return { soft: folded.state, expect };
    });
    if (prev) dispose(prev);
    st = next;
  }
  const rows = x.shape[0]!;
  return { meanHead: st!.soft.acc!, entropy: reshape(sub(st!.soft.lse, st!.expect), [rows]) };
}

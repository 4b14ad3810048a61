/**
 * The MoL loss from final hidden states and the LM head, for the real
 * vocabulary: logits are made chunk by chunk (rows x vocabulary chunk) and
 * dropped at once, so neither the trained nor the base model's [N, V] logits
 * ever exist.
 *
 * One pass over the vocabulary (an online softmax): for each chunk c with
 * chunk log-sum-exp l_c and chunk softmax p_c, the running values
 *   L <- logaddexp(L, l_c)
 *   A <- A exp(L_old - L) + (p_c W_c) exp(l_c - L)        (A = softmax(z) W at the end)
 * and, for the base distribution on decision rows, the same for L_b, A_b and
 *   T <- T exp(Lb_old - Lb) + E_{q_c}[b - z] exp(lb_c - Lb)  (T = E_{p_base}[b - z]).
 * Then per row: nll = L - z_t, d nll/d h = A - W_t; KL = T + L - L_b,
 * d KL/d h = A - A_b. When the base shares the LM head (LoRA), all rows and
 * the decision rows' base rows run stacked through one online softmax and
 * T = A_b . (h_b - h) needs no per-chunk work (see sharedHeadGroups).
 *
 * Given the base as a `baseDistribution` instead (each decision row's mean head
 * row A_b and entropy, computed once by `baseDistribution`), the KL rows cost
 * what CE rows cost: KL = L - h . A_b - H(p_b), d KL/d h = A - A_b.
 *
 * These [rows, H] gradients are formed in the forward and
 * only scaled in the backward (the loss is a scalar), so the backward does no
 * vocabulary work unless the LM head itself needs a gradient; then it makes
 * one more chunked pass for dW.
 *
 * Only rows that carry a loss are computed (prompt and glue rows cost
 * nothing), and the base logits are computed for decision rows only.
 *
 * The LM head may be stored as bfloat16/float16 (a checkpoint loaded with
 * half-precision storage): each vocabulary chunk and each batch of target
 * rows is widened to float32 on its own, never the whole head. The running
 * values live in @molrl/tensor's vocabulary-chunk helpers.
 */
import {
  Tensor,
  add,
  cast,
  checkChunkSize,
  chunkRanges,
  concat,
  customOp,
  exp,
  foldSoftmaxChunk,
  gather,
  headRowsFloat32,
  kernelOp,
  logSumExp,
  matmul,
  mul,
  onlineSoftmax,
  reshape,
  slice,
  sub,
  sum,
  tensor,
  tidy,
  dispose,
  zeros,
  type ChunkRange,
  type OnlineSoftmaxState,
} from '@molrl/tensor';
import { optionNames } from '@molrl/hub-cache';
import { CE_ROW, KL_ROW, planRows, rowsOfKind, type RowPlan } from './row-plan.js';
import type { BaseDistribution } from './base-distribution.js';
import {
  DEFAULT_ROW_CHUNK,
  DEFAULT_VOCAB_CHUNK,
  checkLossOptions,
  checkTensor,
  coefOfKind,
  hostTargets,
  SHARED_MOL_LOSS_OPTION_KEYS,
  type MolLossOptions,
  type MolLossResult,
} from './mol-loss.js';

export interface FusedMolLossOptions extends Omit<MolLossOptions, 'logits' | 'baseLogits'> {
  /** The trained model's final hidden states [N, H] (or [B, T, H], flattened to rows). */
  hidden: Tensor;
  /** The LM head weight [V, H] (`model.lmHeadWeight`; float32, bfloat16 or float16). Gets a gradient only if it requires one (in its own dtype). */
  lmHeadWeight: Tensor;
  /** The base model's hidden states [N, H] (adapter off, under noGrad). Needed for KL rows. */
  baseHidden?: Tensor | null;
  /** The base model's LM head when it differs (an adapted LM head); default `lmHeadWeight`. */
  baseLmHeadWeight?: Tensor | null;
  /**
   * The base model's distribution on each row, from `baseDistribution` (rows
   * aligned with `hidden`; only decision rows are read): instead of
   * `baseHidden`, when the same base rows recur (a trainer's later epochs).
   * Needs a frozen `lmHeadWeight` (the head's own gradient needs p_base per
   * vocabulary entry).
   */
  baseDistribution?: BaseDistribution | null;
}

/** The names of `FusedMolLossOptions` (the typecheck keeps the list complete). */
const FUSED_MOL_LOSS_OPTION_NAMES = optionNames<FusedMolLossOptions>({
  hidden: true,
  lmHeadWeight: true,
  baseHidden: true,
  baseLmHeadWeight: true,
  baseDistribution: true,
  ...SHARED_MOL_LOSS_OPTION_KEYS,
});

interface GroupResult {
  /** Per-row value: nll (CE rows) or KL (KL rows), [R]. */
  value: Tensor;
  /** d value / d h, [R, H]. */
  grad: Tensor;
}

/** Rows flattened to [N, H]. */
function asRows(where: string, name: string, t: Tensor): Tensor {
  if (t.rank < 2) throw new Error(`${where}: ${name} must be [N, H] or [B, T, H], got [${t.shape.join(', ')}]`);
  return t.rank === 2 ? t : reshape(t, [-1, t.shape[t.rank - 1]!]);
}

/** The MoL loss from hidden states and the LM head; same numbers as `molLoss` on the logits they make. */
export function fusedMolLoss(options: FusedMolLossOptions): MolLossResult {
  const where = 'fusedMolLoss';
  checkLossOptions(options, FUSED_MOL_LOSS_OPTION_NAMES, where);
  checkTensor(where, 'hidden', options.hidden);
  checkTensor(where, 'lmHeadWeight', options.lmHeadWeight);
  for (const name of ['baseHidden', 'baseLmHeadWeight'] as const)
    if (options[name] !== undefined && options[name] !== null) checkTensor(where, name, options[name]);
  const given = options.baseDistribution;
  if (given !== undefined && given !== null) {
    if (typeof given !== 'object')
      throw new TypeError(
        `${where}: baseDistribution must be what baseDistribution() returns ({ meanHead, entropy }), got ${typeof given}`,
      );
    checkTensor(where, 'baseDistribution.meanHead', given.meanHead);
    checkTensor(where, 'baseDistribution.entropy', given.entropy);
  }
  const hidden = asRows(where, 'hidden', options.hidden);
  const weight = options.lmHeadWeight;
  if (weight.rank !== 2) throw new Error(`${where}: lmHeadWeight must be [V, H], got [${weight.shape.join(', ')}]`);
  const [n, h] = hidden.shape as [number, number];
  const v = weight.shape[0]!;
  if (weight.shape[1] !== h)
    throw new Error(`${where}: lmHeadWeight [${weight.shape.join(', ')}] does not match hidden size ${h}`);
  if (options.labels.length !== n)
    throw new Error(`${where}: ${options.labels.length} labels for ${n} rows of hidden states`);
  const host = hostTargets(where, options.targets, n);
  const plan = planRows(where, options.labels, host, v, options);
  const baseWeight = options.baseLmHeadWeight ?? weight;
  let baseHidden: Tensor | null = null;
  let dist: BaseDistribution | null = null;
  if (options.baseHidden && options.baseDistribution)
    throw new Error(`${where}: give baseHidden or baseDistribution, not both`);
  if (plan.klRows > 0 && options.baseDistribution) {
    dist = options.baseDistribution;
    if (dist.meanHead.rank !== 2 || dist.meanHead.shape[0] !== n || dist.meanHead.shape[1] !== h) {
      throw new Error(
        `${where}: baseDistribution.meanHead has shape [${dist.meanHead.shape.join(', ')}], expected [${n}, ${h}] (one row per row of hidden)`,
      );
    }
    if (dist.entropy.rank !== 1 || dist.entropy.shape[0] !== n) {
      throw new Error(
        `${where}: baseDistribution.entropy has shape [${dist.entropy.shape.join(', ')}], expected [${n}]`,
      );
    }
    if (weight.requiresGrad) {
      throw new Error(
        `${where}: baseDistribution needs a frozen lmHeadWeight (its gradient needs p_base per vocabulary entry); pass baseHidden instead`,
      );
    }
  } else if (plan.klRows > 0) {
    if (!options.baseHidden)
      throw new Error(
        `${where}: mode 'mol' has ${plan.klRows} decision rows but neither baseHidden nor baseDistribution was given`,
      );
    baseHidden = asRows(where, 'baseHidden', options.baseHidden);
    if (baseHidden.shape[0] !== n || baseHidden.shape[1] !== h) {
      throw new Error(
        `${where}: baseHidden has shape [${options.baseHidden.shape.join(', ')}], hidden [${options.hidden.shape.join(', ')}]`,
      );
    }
    if (baseWeight.shape[0] !== v || baseWeight.shape[1] !== h) {
      throw new Error(
        `${where}: baseLmHeadWeight [${baseWeight.shape.join(', ')}] does not match lmHeadWeight [${v}, ${h}]`,
      );
    }
  }
  const rowChunk = checkChunkSize(where, 'rowChunk', options.rowChunk, DEFAULT_ROW_CHUNK);
  const vocabChunk = checkChunkSize(where, 'vocabChunk', options.vocabChunk, DEFAULT_VOCAB_CHUNK);
  const vocabParts = chunkRanges(v, vocabChunk);
  const ceIdx = rowsOfKind(plan, CE_ROW);
  const klIdx = rowsOfKind(plan, KL_ROW);
  const select = (coef: Float32Array, idx: Int32Array) => Float32Array.from(idx, (i) => coef[i]!);
  const lossCe = select(coefOfKind(plan.kind, plan.coefLoss, CE_ROW), ceIdx);
  const lossKl = select(coefOfKind(plan.kind, plan.coefLoss, KL_ROW), klIdx);
  const meanCe = select(plan.coefCe, ceIdx);
  const meanKl = select(plan.coefKl, klIdx);
  const headNeedsGrad = weight.requiresGrad;
  const useBase = baseHidden !== null;
  const useDist = dist !== null;

  const op = customOp(
    'fusedMolLoss',
    (inputs, ctx) => {
      const [hid, w, targets] = [inputs[0]!, inputs[1]!, inputs[2]!];
      const hb = useBase ? inputs[3]! : null;
      const wb = useBase && baseWeight !== weight ? inputs[4]! : w;
      const distInputs = useDist ? { meanHead: inputs[3]!, entropy: inputs[4]! } : null;
      const targetsCe = ceIdx.length ? ceTargets(targets, plan, ceIdx, host) : null;
      let ce: GroupResult | null;
      let kl: GroupResult | null;
      if (wb === w) {
        ({ ce, kl } = sharedHeadGroups(hid, hb, w, ceIdx, klIdx, targetsCe, rowChunk, vocabParts, distInputs));
      } else {
        ce = ceIdx.length ? ceGroup(hid, w, ceIdx, targetsCe!, rowChunk, vocabParts) : null;
        kl = klIdx.length ? klGroup(hid, hb!, w, wb, klIdx, rowChunk, vocabParts) : null;
      }
      const parts: Tensor[] = [];
      let loss: Tensor = zeros([]);
      let ceMean: Tensor = zeros([]);
      let klMean: Tensor = zeros([]);
      if (ce) {
        loss = add(loss, sum(mul(ce.value, tensor(lossCe))));
        ceMean = sum(mul(ce.value, tensor(meanCe)));
        parts.push(ce.grad);
      }
      if (kl) {
        loss = add(loss, sum(mul(kl.value, tensor(lossKl))));
        klMean = sum(mul(kl.value, tensor(meanKl)));
        parts.push(kl.grad);
      }
      // Saved: the per-row gradients (CE rows first, then KL rows); and for dW the rows and targets.
      ctx.save(...parts);
      if (headNeedsGrad) {
        ctx.save(hid, w, wb, ...(hb ? [hb] : []));
        if (targetsCe) ctx.save(targetsCe);
      }
      return [loss, ceMean, klMean];
    },
    (grads, saved) =>
      tidy(() => {
        const [gLoss, gCe, gKl] = grads as [Tensor, Tensor, Tensor];
        const coefCe = ceIdx.length ? add(mul(gLoss, tensor(lossCe)), mul(gCe, tensor(meanCe))) : null;
        const coefKl = klIdx.length ? add(mul(gLoss, tensor(lossKl)), mul(gKl, tensor(meanKl))) : null;
        let k = 0;
        const scaled: Tensor[] = [];
        const idx: number[] = [];
        if (coefCe) {
          scaled.push(mul(saved[k++]!, reshape(coefCe, [ceIdx.length, 1])));
          idx.push(...ceIdx);
        }
        if (coefKl) {
          scaled.push(mul(saved[k++]!, reshape(coefKl, [klIdx.length, 1])));
          idx.push(...klIdx);
        }
        const dHidden = scaled.length
          ? kernelOp(
              'scatterAddRows',
              [scaled.length === 1 ? scaled[0]! : concat(scaled, 0), tensor(Int32Array.from(idx))],
              { numRows: n },
            )[0]!
          : zeros([n, h]);
        let dWeight: Tensor | null = null;
        if (headNeedsGrad) {
          const hid = saved[k++]!;
          const w = saved[k++]!;
          const wb = saved[k++]!;
          const hb = useBase ? saved[k++]! : null;
          const targetsCe = ceIdx.length ? saved[k]! : null;
          dWeight = headGrad(hid, hb, w, wb, ceIdx, klIdx, coefCe, coefKl, targetsCe, rowChunk, vocabParts);
          if (dWeight.dtype !== weight.dtype) dWeight = cast(dWeight, weight.dtype);
        }
        const out: (Tensor | null)[] = [dHidden, dWeight, null];
        if (useBase) out.push(null);
        if (useBase && baseWeight !== weight) out.push(null);
        if (useDist) out.push(null, null);
        return out;
      }),
  );

  const targetsTensor = host ? tensor(plan.targets) : (options.targets as Tensor);
  const inputs: Tensor[] = [hidden, weight, targetsTensor];
  if (useBase) inputs.push(baseHidden!);
  if (useBase && baseWeight !== weight) inputs.push(baseWeight);
  if (useDist) inputs.push(dist!.meanHead, dist!.entropy);
  const [loss, ce, kl] = op(...inputs) as [Tensor, Tensor, Tensor];
  if (host) targetsTensor.dispose();
  if (hidden !== options.hidden) hidden.dispose();
  if (baseHidden && baseHidden !== options.baseHidden) baseHidden.dispose();
  return { loss, ce, kl, counts: plan.counts };
}

/** The CE rows' targets as int32 [nCe]. */
function ceTargets(targets: Tensor, plan: RowPlan, ceIdx: Int32Array, host: ArrayLike<number> | null): Tensor {
  if (host) return tensor(Int32Array.from(ceIdx, (i) => plan.targets[i]!));
  // Device targets: gather as float (exact below 2^24) and back to int32.
  const rows = gather(reshape(cast(targets, 'float32'), [-1, 1]), tensor(ceIdx));
  return cast(reshape(rows, [ceIdx.length]), 'int32');
}

/** The rows W_t of the LM head for `ids`, as float32 (a bfloat16/float16 head gives rows of its own dtype). */
function targetRows(w: Tensor, ids: Tensor): Tensor {
  const rows = gather(w, ids);
  return rows.dtype === 'float32' ? rows : cast(rows, 'float32');
}

function ceGroup(
  hid: Tensor,
  w: Tensor,
  idx: Int32Array,
  targets: Tensor,
  rowChunk: number,
  vocabParts: ChunkRange[],
): GroupResult {
  const values: Tensor[] = [];
  const grads: Tensor[] = [];
  for (const [r0, rows] of chunkRanges(idx.length, rowChunk)) {
    const out = tidy(() => {
      const x = gather(hid, tensor(idx.subarray(r0, r0 + rows)));
      const st = onlineSoftmax(x, w, vocabParts);
      const wt = targetRows(w, slice(targets, [r0], [rows]));
      return { value: sub(reshape(st.lse, [rows]), sum(mul(x, wt), 1)), grad: sub(st.acc!, wt) };
    });
    values.push(out.value);
    grads.push(out.grad);
  }
  return { value: concat(values, 0), grad: concat(grads, 0) };
}

/**
 * All rows when the base shares the LM head (the LoRA case): each chunk of
 * rows is one stack [h_ce; h_kl; h_b,kl] through one online softmax (one
 * slice of W and two products per vocabulary chunk for every kind of row).
 * Since z = h W^T and b = h_b W^T, E_{p_b}[b - z] = (softmax(b) W) . (h_b - h),
 * so KL rows need no per-chunk work of their own:
 *   CE:  nll = L_z - h . W_t,              d/dh = A_z - W_t
 *   KL:  KL = A_b . (h_b - h) + L_z - L_b,  d/dh = A_z - A_b
 * With `dist` (A_b and H(p_b) = L_b - A_b . h_b given) the stack is only
 * [h_ce; h_kl] and KL = L_z - h . A_b - H(p_b).
 */
function sharedHeadGroups(
  hid: Tensor,
  hb: Tensor | null,
  w: Tensor,
  ceIdx: Int32Array,
  klIdx: Int32Array,
  targetsCe: Tensor | null,
  rowChunk: number,
  vocabParts: ChunkRange[],
  dist: BaseDistribution | null = null,
): { ce: GroupResult | null; kl: GroupResult | null } {
  const stacked = ceIdx.length + (dist ? 1 : 2) * klIdx.length;
  if (!stacked) return { ce: null, kl: null };
  // k pieces, each taking a contiguous run of the CE rows and of the KL rows: at most ~rowChunk stacked rows.
  const pieces = Math.max(1, Math.ceil(stacked / rowChunk));
  const ceStep = Math.ceil(ceIdx.length / pieces);
  const klStep = Math.ceil(klIdx.length / pieces);
  const ce = { values: [] as Tensor[], grads: [] as Tensor[] };
  const kl = { values: [] as Tensor[], grads: [] as Tensor[] };
  for (let p = 0; p < pieces; p++) {
    const c0 = Math.min(ceIdx.length, p * ceStep);
    const nc = Math.min(ceIdx.length, c0 + ceStep) - c0;
    const k0 = Math.min(klIdx.length, p * klStep);
    const nk = Math.min(klIdx.length, k0 + klStep) - k0;
    if (!nc && !nk) continue;
    const out = tidy(() => {
      const xc = nc ? gather(hid, tensor(ceIdx.subarray(c0, c0 + nc))) : null;
      const klIds = nk ? tensor(klIdx.subarray(k0, k0 + nk)) : null;
      const xk = klIds ? gather(hid, klIds) : null;
      const xb = klIds && !dist ? gather(hb!, klIds) : null;
      const parts = [xc, xk, xb].filter((t): t is Tensor => t !== null);
      const st = onlineSoftmax(parts.length === 1 ? parts[0]! : concat(parts, 0), w, vocabParts);
      const result: { ceValue?: Tensor; ceGrad?: Tensor; klValue?: Tensor; klGrad?: Tensor } = {};
      if (xc) {
        const wt = targetRows(w, slice(targetsCe!, [c0], [nc]));
        result.ceValue = sub(reshape(slice(st.lse, [0, 0], [nc, 1]), [nc]), sum(mul(xc, wt), 1));
        result.ceGrad = sub(slice(st.acc!, [0, 0], [nc, -1]), wt);
      }
      if (xk && dist) {
        const lz = reshape(slice(st.lse, [nc, 0], [nk, 1]), [nk]);
        const az = slice(st.acc!, [nc, 0], [nk, -1]);
        const mean = gather(dist.meanHead, klIds!);
        const entropy = reshape(gather(reshape(dist.entropy, [-1, 1]), klIds!), [nk]);
        result.klValue = sub(sub(lz, sum(mul(xk, mean), 1)), entropy);
        result.klGrad = sub(az, mean);
      } else if (xk) {
        const lz = slice(st.lse, [nc, 0], [nk, 1]);
        const lb = slice(st.lse, [nc + nk, 0], [nk, 1]);
        const az = slice(st.acc!, [nc, 0], [nk, -1]);
        const ab = slice(st.acc!, [nc + nk, 0], [nk, -1]);
        result.klValue = add(sum(mul(ab, sub(xb!, xk)), 1), reshape(sub(lz, lb), [nk]));
        result.klGrad = sub(az, ab);
      }
      return result;
    });
    if (out.ceValue) {
      ce.values.push(out.ceValue);
      ce.grads.push(out.ceGrad!);
    }
    if (out.klValue) {
      kl.values.push(out.klValue);
      kl.grads.push(out.klGrad!);
    }
  }
  const join = (g: { values: Tensor[]; grads: Tensor[] }): GroupResult | null =>
    g.values.length ? { value: concat(g.values, 0), grad: concat(g.grads, 0) } : null;
  return { ce: join(ce), kl: join(kl) };
}

/** KL rows when the base has its own LM head: both softmaxes online, and E_{p_b}[b - z] folded per chunk. */
function klGroup(
  hid: Tensor,
  hb: Tensor,
  w: Tensor,
  wb: Tensor,
  idx: Int32Array,
  rowChunk: number,
  vocabParts: ChunkRange[],
): GroupResult {
  const values: Tensor[] = [];
  const grads: Tensor[] = [];
  for (const [r0, rows] of chunkRanges(idx.length, rowChunk)) {
    const out = tidy(() => {
      const ids = tensor(idx.subarray(r0, r0 + rows));
      const x = gather(hid, ids);
      const xb = gather(hb, ids);
      // sz: trained softmax; sb: base softmax; expect [R, 1]: E_{p_base}[b - z] so far.
      let st: { sz: OnlineSoftmaxState; sb: OnlineSoftmaxState; expect: Tensor } | null = null;
      for (const [c0, cols] of vocabParts) {
        const next: { sz: OnlineSoftmaxState; sb: OnlineSoftmaxState; expect: Tensor } = tidy(() => {
          const wc = headRowsFloat32(w, c0, cols);
          const wbc = wb === w ? wc : headRowsFloat32(wb, c0, cols);
          const zc = matmul(x, wc, { transposeB: true });
          const lz = logSumExp(zc, 1, { keepDims: true });
          const sz = foldSoftmaxChunk(st?.sz ?? null, lz, matmul(exp(sub(zc, lz)), wc)).state;
          const bc = matmul(xb, wbc, { transposeB: true });
          const lb = logSumExp(bc, 1, { keepDims: true });
          const q = exp(sub(bc, lb));
          const e = sum(mul(q, sub(bc, zc)), 1, { keepDims: true });
          const folded = foldSoftmaxChunk(st?.sb ?? null, lb, matmul(q, wc));
          const expect = st ? add(mul(st.expect, folded.oldScale!), mul(e, folded.chunkScale!)) : e;
          return { sz, sb: folded.state, expect };
        });
        if (st) dispose(st);
        st = next;
      }
      return {
        value: reshape(add(st!.expect, sub(st!.sz.lse, st!.sb.lse)), [rows]),
        grad: sub(st!.sz.acc!, st!.sb.acc!),
      };
    });
    values.push(out.value);
    grads.push(out.grad);
  }
  return { value: concat(values, 0), grad: concat(grads, 0) };
}

/**
 * d loss / d W, chunk by chunk: dW_c = (c_ce p_z)^T X_ce + (c_kl (p_z - p_b))^T X_kl,
 * minus c_ce X_ce scattered to the target rows. Needs the log-sum-exps again,
 * which a first pass recomputes per row chunk.
 */
function headGrad(
  hid: Tensor,
  hb: Tensor | null,
  w: Tensor,
  wb: Tensor,
  ceIdx: Int32Array,
  klIdx: Int32Array,
  coefCe: Tensor | null,
  coefKl: Tensor | null,
  targetsCe: Tensor | null,
  rowChunk: number,
  vocabParts: ChunkRange[],
): Tensor {
  const v = w.shape[0]!;
  const h = w.shape[1]!;
  const lseOf = (x: Tensor, weight: Tensor): Tensor => {
    const parts = vocabParts.map(([c0, cols]) =>
      tidy(() => logSumExp(matmul(x, headRowsFloat32(weight, c0, cols), { transposeB: true }), 1, { keepDims: true })),
    );
    return logSumExp(concat(parts, 1), 1, { keepDims: true });
  };
  const blocks: Tensor[] = vocabParts.map(([, cols]) => zeros([cols, h]).keep());
  const addRows = (idx: Int32Array, coef: Tensor, withBase: boolean) => {
    for (const [r0, rows] of chunkRanges(idx.length, rowChunk)) {
      tidy(() => {
        const ids = tensor(idx.subarray(r0, r0 + rows));
        const x = gather(hid, ids);
        const c = reshape(slice(coef, [r0], [rows]), [rows, 1]);
        const lz = lseOf(x, w);
        const xb = withBase ? gather(hb!, ids) : null;
        const lb = xb ? lseOf(xb, wb) : null;
        vocabParts.forEach(([c0, cols], j) => {
          const next = tidy(() => {
            const wc = headRowsFloat32(w, c0, cols);
            let g = exp(sub(matmul(x, wc, { transposeB: true }), lz));
            if (xb) g = sub(g, exp(sub(matmul(xb, headRowsFloat32(wb, c0, cols), { transposeB: true }), lb!)));
            return add(blocks[j]!, matmul(mul(g, c), x, { transposeA: true })).keep();
          });
          blocks[j]!.dispose();
          blocks[j] = next;
        });
      });
    }
  };
  if (coefCe) addRows(ceIdx, coefCe, false);
  if (coefKl) addRows(klIdx, coefKl, true);
  let dW = blocks.length === 1 ? blocks[0]!.clone() : concat(blocks, 0);
  for (const block of blocks) block.dispose();
  if (coefCe && targetsCe) {
    const x = gather(hid, tensor(ceIdx));
    const [onehot] = kernelOp('scatterAddRows', [mul(x, reshape(coefCe, [ceIdx.length, 1])), targetsCe], {
      numRows: v,
    });
    dW = sub(dW, onehot!);
  }
  return dW;
}

/**
 * Per-token log-probabilities from final hidden states and the LM head,
 * without the [N, V] logits (TRL's `selective_log_softmax`, fused with the
 * LM head): rows go through the vocabulary chunk by chunk with an online
 * log-sum-exp, so memory is rows x chunk whatever the vocabulary.
 *
 * With s = h / temperature and z = s W^T, per row:
 *   logp = s . W_t - L,              L = logsumexp(z)
 *   A    = softmax(z) W              (folded chunk by chunk like L)
 *   entropy                          (folded chunk by chunk from each chunk's
 *                                     own, a sum of terms >= 0: see onlineSoftmax)
 *   d logp / d h = (W_t - A) / temperature
 *   d logp / d W = (onehot(t) - softmax(z)) (x) s
 * The [N, H] gradient rows are formed in the forward (they cost what the
 * hidden states cost) and only scaled in the backward; the LM head's gradient,
 * when it needs one, takes one more chunked pass with the saved L.
 *
 * The LM head may be stored as bfloat16/float16 (checkpoint storage): the
 * online softmax (@molrl/tensor's `onlineSoftmax`) widens one [chunk, H] slice
 * at a time and W_t is gathered as [rows, H], so the head is never widened whole.
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
  gather,
  gradEnabled,
  headRowsFloat32,
  kernelOp,
  matmul,
  mul,
  onlineSoftmax,
  reshape,
  slice,
  sub,
  sum,
  tensor,
  tidy,
  zeros,
  type ChunkRange,
} from '@molrl/tensor';

/** Rows per pass: [rowChunk, vocabChunk] float32 logits are the largest buffer. */
export const DEFAULT_LOGPROB_ROW_CHUNK = 1024;
export const DEFAULT_LOGPROB_VOCAB_CHUNK = 8192;

export interface TokenLogProbsOptions {
  /** Logits are divided by it before the softmax (the sampling temperature, as TRL); default 1. */
  temperature?: number;
  /** Vocabulary columns per chunk; default 8192. */
  vocabChunk?: number;
  /** Rows per chunk; default 1024. */
  rowChunk?: number;
  /** Also return each row's entropy (same pass, no gradient). */
  entropy?: boolean;
}

export interface TokenLogProbsResult {
  /** [N]: log softmax(h W^T / temperature)[target] per row; gradients flow to the hidden states (and the LM head if it requires grad). */
  logps: Tensor;
  /** [N]: entropy of each row's temperature-scaled distribution, for metrics (no gradient flows back from it); only when asked. */
  entropy?: Tensor;
}

function asFloat(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/** Host targets checked against the vocabulary, or null for a device tensor. */
function hostTargets(targets: Tensor | ArrayLike<number>, n: number, v: number): Int32Array | null {
  if (targets instanceof Tensor) {
    // Rows of W_t are gathered by these ids (and scattered by them for the head's gradient).
    if (targets.dtype !== 'int32')
      throw new Error(`tokenLogProbs: targets must be an int32 tensor, got ${targets.dtype}`);
    if (targets.size !== n)
      throw new Error(
        `tokenLogProbs: targets has shape [${targets.shape.join(', ')}], expected ${n} entries (one per row)`,
      );
    return null;
  }
  if (targets.length !== n) throw new Error(`tokenLogProbs: ${targets.length} targets for ${n} rows of hidden states`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = targets[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= v)
      throw new Error(`tokenLogProbs: targets[${i}] = ${t} is not a token id in [0, ${v})`);
    out[i] = t;
  }
  return out;
}

/**
 * log softmax(hidden W^T / temperature)[target] per row, never forming
 * [N, V]. `hidden` is [N, H] (or [..., H], flattened to rows), `lmHeadWeight`
 * [V, H] (`model.lmHeadWeight`; float32, bfloat16 or float16), `targets` N
 * token ids (array or int32 tensor).
 */
export function tokenLogProbs(
  hidden: Tensor,
  lmHeadWeight: Tensor,
  targets: Tensor | ArrayLike<number>,
  options: TokenLogProbsOptions = {},
): TokenLogProbsResult {
  if (hidden.rank < 2) throw new Error(`tokenLogProbs: hidden must be [N, H], got [${hidden.shape.join(', ')}]`);
  if (lmHeadWeight.rank !== 2)
    throw new Error(`tokenLogProbs: lmHeadWeight must be [V, H], got [${lmHeadWeight.shape.join(', ')}]`);
  const h = hidden.shape[hidden.rank - 1]!;
  const [v, hw] = lmHeadWeight.shape as [number, number];
  if (hw !== h) throw new Error(`tokenLogProbs: lmHeadWeight [${v}, ${hw}] does not match hidden size ${h}`);
  const n = hidden.size / h;
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new Error(`tokenLogProbs: temperature must be a positive number, got ${temperature}`);
  const rowChunk = checkChunkSize('tokenLogProbs', 'rowChunk', options.rowChunk, DEFAULT_LOGPROB_ROW_CHUNK);
  const vocabParts = chunkRanges(
    v,
    checkChunkSize('tokenLogProbs', 'vocabChunk', options.vocabChunk, DEFAULT_LOGPROB_VOCAB_CHUNK),
  );
  const host = hostTargets(targets, n, v);
  const wantEntropy = options.entropy === true;
  const grad = gradEnabled();
  const hiddenNeedsGrad = grad && hidden.requiresGrad;
  const headNeedsGrad = grad && lmHeadWeight.requiresGrad;
  const withAcc = hiddenNeedsGrad;
  const invT = 1 / temperature;

  const op = customOp(
    'tokenLogProbs',
    (inputs, ctx) => {
      const x = reshape(asFloat(inputs[0]!), [n, h]);
      const w = inputs[1]!;
      const tg = reshape(inputs[2]!, [n]);
      const logps: Tensor[] = [];
      const entropies: Tensor[] = [];
      const grads: Tensor[] = [];
      const lses: Tensor[] = [];
      for (const [r0, rows] of chunkRanges(n, rowChunk)) {
        const out = tidy(() => {
          const s = mul(slice(x, [r0, 0], [rows, h]), invT);
          const st = onlineSoftmax(s, w, vocabParts, { withAcc, withEntropy: wantEntropy });
          // W_t: gather gives a bf16/f16 head's rows in its own dtype; only these [rows, H] are widened.
          const wt = asFloat(gather(w, slice(tg, [r0], [rows])));
          const lse = reshape(st.lse, [rows]);
          const part: { logp: Tensor; entropy?: Tensor; grad?: Tensor; lse: Tensor } = {
            logp: sub(sum(mul(s, wt), 1), lse),
            lse,
          };
          // Not L - A . s: for a peaked softmax that difference of two near-equal numbers loses the entropy to rounding.
          if (wantEntropy) part.entropy = reshape(st.entropy!, [rows]);
          if (hiddenNeedsGrad) part.grad = mul(sub(wt, st.acc!), invT);
          return part;
        });
        logps.push(out.logp);
        lses.push(out.lse);
        if (out.entropy) entropies.push(out.entropy);
        if (out.grad) grads.push(out.grad);
      }
      const join = (parts: Tensor[]) => (parts.length === 1 ? parts[0]! : concat(parts, 0));
      if (hiddenNeedsGrad) ctx.save(join(grads));
      if (headNeedsGrad) ctx.save(x, w, tg, join(lses));
      const outputs = [join(logps)];
      if (wantEntropy) outputs.push(join(entropies));
      return outputs;
    },
    (outGrads, saved) =>
      tidy(() => {
        const g = reshape(outGrads[0]!, [n, 1]);
        let k = 0;
        const dHidden = hiddenNeedsGrad ? reshape(mul(saved[k++]!, g), hidden.shape) : null;
        let dWeight: Tensor | null = null;
        if (headNeedsGrad) {
          const [x, w, tg, lse] = saved.slice(k, k + 4) as [Tensor, Tensor, Tensor, Tensor];
          dWeight = headGrad(x, w, tg, lse, g, invT, rowChunk, vocabParts);
          if (dWeight.dtype !== lmHeadWeight.dtype) dWeight = cast(dWeight, lmHeadWeight.dtype);
        }
        return [dHidden, dWeight, null];
      }),
  );

  const targetsTensor = host ? tensor(host, [n], { dtype: 'int32' }) : (targets as Tensor);
  const outputs = op(hidden, lmHeadWeight, targetsTensor);
  if (host) targetsTensor.dispose();
  return wantEntropy ? { logps: outputs[0]!, entropy: outputs[1]! } : { logps: outputs[0]! };
}

/**
 * dW = sum over rows of g (onehot(t) - softmax(z)) (x) s, a [chunk, H] block
 * per vocabulary chunk (the softmax from the saved log-sum-exp), then g s
 * scattered onto the target rows.
 */
function headGrad(
  x: Tensor,
  w: Tensor,
  tg: Tensor,
  lse: Tensor,
  g: Tensor,
  invT: number,
  rowChunk: number,
  vocabParts: ChunkRange[],
): Tensor {
  const [n, h] = x.shape as [number, number];
  const v = w.shape[0]!;
  const blocks: Tensor[] = vocabParts.map(([, cols]) => zeros([cols, h]).keep());
  for (const [r0, rows] of chunkRanges(n, rowChunk)) {
    tidy(() => {
      const s = mul(slice(x, [r0, 0], [rows, h]), invT);
      const l = reshape(slice(lse, [r0], [rows]), [rows, 1]);
      const gr = slice(g, [r0, 0], [rows, 1]);
      vocabParts.forEach(([c0, cols], j) => {
        const next = tidy(() => {
          const p = exp(sub(matmul(s, headRowsFloat32(w, c0, cols), { transposeB: true }), l));
          return sub(blocks[j]!, matmul(mul(p, gr), s, { transposeA: true })).keep();
        });
        blocks[j]!.dispose();
        blocks[j] = next;
      });
    });
  }
  let dW = blocks.length === 1 ? blocks[0]!.clone() : concat(blocks, 0);
  for (const block of blocks) block.dispose();
  const [onTargets] = kernelOp('scatterAddRows', [mul(mul(x, invT), g), tg], { numRows: v });
  dW = add(dW, onTargets!);
  return dW;
}

/**
 * Per-token log-probabilities (and entropies) of completion tokens under the
 * model, as TRL's `_get_per_token_logps_and_entropies`: the logits are divided
 * by the sampling temperature first, prompts are left-padded so every
 * completion starts at the same column, completions right-padded.
 */
import type { Qwen3ForCausalLM } from '@molrl/model';
import { div, exp, logSoftmax, mul, neg, noGrad, reshape, slice, sum, takeAlongAxis, tensor, tidy, type Tensor } from '@molrl/tensor';

export interface SequenceBatch {
  prompts: readonly (readonly number[])[];
  completions: readonly (readonly number[])[];
}

export interface TokenLogps {
  /** [B, T], T = the longest completion. */
  logps: Tensor;
  /** [B, T] entropy of the (temperature-scaled) next-token distribution, no gradient; only when asked. */
  entropy?: Tensor;
}

/** Synchronous (so it can run under noGrad); the LM head is applied only to the completion columns. */
export function completionLogps(model: Qwen3ForCausalLM, batch: SequenceBatch, options: { temperature: number; entropy?: boolean; padTokenId?: number }): TokenLogps {
  const b = batch.prompts.length;
  const p = Math.max(...batch.prompts.map((r) => r.length));
  const t = Math.max(1, ...batch.completions.map((r) => r.length));
  const pad = options.padTokenId ?? 0;
  const ids: number[][] = [];
  const attention: number[][] = [];
  const targets = new Int32Array(b * t);
  for (let i = 0; i < b; i++) {
    const prompt = batch.prompts[i]!;
    const completion = batch.completions[i]!;
    if (!prompt.length) throw new Error(`completionLogps: prompt ${i} is empty`);
    const left = p - prompt.length;
    const right = t - completion.length;
    ids.push([...new Array<number>(left).fill(pad), ...prompt, ...completion, ...new Array<number>(right).fill(pad)]);
    attention.push([...new Array<number>(left).fill(0), ...new Array<number>(prompt.length + completion.length).fill(1), ...new Array<number>(right).fill(0)]);
    completion.forEach((tok, j) => (targets[i * t + j] = tok));
  }
  // The last completion token predicts nothing we score: logits of columns p-1 .. p+t-2.
  const inputs = ids.map((row) => row.slice(0, p + t - 1));
  const mask = attention.map((row) => row.slice(0, p + t - 1));
  return tidy(() => {
    const hidden = model.hiddenSync(inputs, { attentionMask: mask });
    let scores = model.module.logits(slice(hidden, [0, p - 1, 0], [b, t, hidden.shape[2]!]));
    if (options.temperature > 0 && options.temperature !== 1) scores = div(scores, options.temperature);
    const logProbs = logSoftmax(scores, 2);
    const picked = takeAlongAxis(logProbs, tensor(targets, [b, t], { dtype: 'int32' }));
    const logps = reshape(picked, [b, t]);
    const entropy = options.entropy ? noGrad(() => neg(sum(mul(exp(logProbs), logProbs), [2]))) : undefined;
    return entropy ? { logps, entropy } : { logps };
  });
}

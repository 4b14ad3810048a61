/**
 * Per-token log-probabilities (and entropies) of completion tokens under the
 * model, as TRL's `_get_per_token_logps_and_entropies`: the logits are divided
 * by the sampling temperature first, prompts are left-padded so every
 * completion starts at the same column, completions right-padded. The LM
 * head is applied by `tokenLogProbs`, vocabulary chunk by vocabulary chunk,
 * so no [B, T, vocab] logits are formed.
 */
import type { Qwen3ForCausalLM } from '@molrl/model';
import { reshape, slice, tidy, type Tensor } from '@molrl/tensor';
import { tokenLogProbs } from '../token-logprobs.js';

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

export interface CompletionLogpsOptions {
  /** The sampling temperature; logits are divided by it (0 or 1: unscaled). */
  temperature: number;
  entropy?: boolean;
  padTokenId?: number;
  /** `tokenLogProbs`' chunks: vocabulary columns and rows per pass. */
  vocabChunk?: number;
  rowChunk?: number;
}

/** Synchronous (so it can run under noGrad); the LM head is applied only to the completion columns. */
export function completionLogps(
  model: Qwen3ForCausalLM,
  batch: SequenceBatch,
  options: CompletionLogpsOptions,
): TokenLogps {
  if (model.module.lmHead.adapter) {
    throw new Error(
      'completionLogps: the LM head has an adapter; log-probs are taken from model.lmHeadWeight, which would leave it out',
    );
  }
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
    attention.push([
      ...new Array<number>(left).fill(0),
      ...new Array<number>(prompt.length + completion.length).fill(1),
      ...new Array<number>(right).fill(0),
    ]);
    completion.forEach((tok, j) => (targets[i * t + j] = tok));
  }
  // The last completion token predicts nothing we score: logits of columns p-1 .. p+t-2.
  const inputs = ids.map((row) => row.slice(0, p + t - 1));
  const mask = attention.map((row) => row.slice(0, p + t - 1));
  return tidy(() => {
    const hidden = model.hiddenSync(inputs, { attentionMask: mask });
    const h = hidden.shape[2]!;
    const rows = reshape(slice(hidden, [0, p - 1, 0], [b, t, h]), [b * t, h]);
    const temperature = options.temperature > 0 ? options.temperature : 1;
    const out = tokenLogProbs(rows, model.lmHeadWeight, targets, {
      temperature,
      entropy: options.entropy === true,
      ...(options.vocabChunk !== undefined ? { vocabChunk: options.vocabChunk } : {}),
      ...(options.rowChunk !== undefined ? { rowChunk: options.rowChunk } : {}),
    });
    const logps = reshape(out.logps, [b, t]);
    return out.entropy ? { logps, entropy: reshape(out.entropy, [b, t]) } : { logps };
  });
}

/**
 * The general-ability probe: a model's mean per-token negative log-likelihood
 * (nats) of the answers in held-out documents of the pretraining distribution
 * (`probeDocuments`), text that no phase of the pipeline trains on. MoL's KL
 * term claims to keep what the base model knows while the environment's
 * feedback is learned; a variant that forgets shows it here as a higher loss.
 */
import { crossEntropy, tensor } from '@molrl/tensor';
import type { Qwen3ForCausalLM } from '@molrl/model';
import type { Tokenizer, ChatMessage as TokenizerChatMessage } from '@molrl/tokenize';
import type { ChatMessage } from './pretrain-corpus.js';

export interface ProbeResult {
  documents: number;
  /** Answer tokens scored. */
  tokens: number;
  /** Mean negative log-likelihood per answer token, in nats. */
  nll: number;
  /** Each document's mean NLL per answer token (for paired comparisons across models). */
  perDocument: number[];
}

/** Token ids of a chat and where its final (assistant) answer starts: after the generation prompt. */
export function answerSpan(tokenizer: Tokenizer, chat: readonly ChatMessage[]): { ids: number[]; answerStart: number } {
  const last = chat[chat.length - 1];
  if (!last || last.role !== 'assistant')
    throw new Error(`answerSpan: a probe document must end with an assistant message, got ${last?.role ?? 'none'}`);
  const messages = chat as unknown as TokenizerChatMessage[];
  const ids = tokenizer.encode(tokenizer.applyChatTemplate(messages), { addSpecialTokens: false });
  const prompt = tokenizer.encode(
    tokenizer.applyChatTemplate(messages.slice(0, -1), { addGenerationPrompt: true, enableThinking: true }),
    { addSpecialTokens: false },
  );
  if (prompt.some((id, i) => ids[i] !== id))
    throw new Error('answerSpan: the chat template does not render the generation prompt as a prefix of the chat');
  return { ids, answerStart: prompt.length };
}

/**
 * Mean NLL of the answers of `documents` under `model` (teacher-forced, one
 * row per document, right-padded: a causal model's earlier positions never
 * see the padding).
 */
export async function heldOutLoss(
  model: Qwen3ForCausalLM,
  tokenizer: Tokenizer,
  documents: readonly ChatMessage[][],
  options: { batchSize?: number } = {},
): Promise<ProbeResult> {
  const batchSize = options.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`heldOutLoss: batchSize must be an integer >= 1, got ${batchSize}`);
  if (documents.length === 0) throw new RangeError('heldOutLoss: no documents');
  const pad = model.config.pad_token_id ?? 0;
  const spans = documents.map((d) => answerSpan(tokenizer, d));
  let sum = 0;
  let tokens = 0;
  const perDocument: number[] = [];
  for (let start = 0; start < spans.length; start += batchSize) {
    const batch = spans.slice(start, start + batchSize);
    const width = Math.max(...batch.map((s) => s.ids.length));
    const ids = batch.map((s) => [...s.ids, ...new Array<number>(width - s.ids.length).fill(pad)]);
    const targets = new Int32Array(batch.length * width);
    const mask = new Float32Array(batch.length * width);
    batch.forEach((s, b) => {
      // Position t predicts token t + 1; the answer's tokens are answerStart .. end.
      for (let t = s.answerStart - 1; t < s.ids.length - 1; t++) {
        targets[b * width + t] = s.ids[t + 1]!;
        mask[b * width + t] = 1;
        tokens++;
      }
    });
    // The evaluated models' weights do not require gradients, so no graph is kept.
    const { logits } = await model.forward(ids);
    const t = tensor(targets, [batch.length, width]);
    const m = tensor(mask, [batch.length, width]);
    const loss = crossEntropy(logits, t, { mask: m, reduction: 'none' });
    const values = await loss.data();
    for (const x of [logits, t, m, loss]) x.dispose();
    batch.forEach((s, b) => {
      let row = 0;
      for (let i = s.answerStart - 1; i < s.ids.length - 1; i++) row += values[b * width + i]!;
      sum += row;
      perDocument.push(row / (s.ids.length - s.answerStart));
    });
  }
  return { documents: documents.length, tokens, nll: sum / tokens, perDocument };
}

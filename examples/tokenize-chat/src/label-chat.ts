import { Tokenizer, type ChatMessage } from '@molrl/tokenize';

/** MoL's view of a token: no loss on the prompt, KL on decisions, CE on feedback, none on glue. */
export type LossKind = 'prompt' | 'decision' | 'feedback' | 'template';

export function lossKind(role: string): LossKind {
  if (role === 'assistant') return 'decision';
  if (role === 'tool') return 'feedback';
  if (role === 'template') return 'template';
  return 'prompt';
}

export interface LabelledChat {
  text: string;
  ids: number[];
  kinds: LossKind[];
  counts: Record<LossKind, number>;
  /** The decoded text of each kind, in order. */
  textOf: (kind: LossKind) => string;
}

export function labelChat(
  tokenizer: Tokenizer,
  messages: ChatMessage[],
  tools?: Array<Record<string, unknown>>,
): LabelledChat {
  const enc = tokenizer.encodeChat(messages, { tools });
  const kinds = enc.roles.map(lossKind);
  const counts: Record<LossKind, number> = { prompt: 0, decision: 0, feedback: 0, template: 0 };
  for (const k of kinds) counts[k]++;
  return {
    text: enc.text,
    ids: enc.ids,
    kinds,
    counts,
    textOf: (kind) => tokenizer.decode(enc.ids.filter((_, i) => kinds[i] === kind)),
  };
}

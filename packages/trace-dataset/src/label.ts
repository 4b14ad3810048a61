/**
 * labelTrace: a conversation to token ids plus one MoL label per token, on top of
 * @molrl/tokenize's encodeChat (which renders the chat template and assigns each
 * token to the message whose span it overlaps, or to the template's glue).
 */
import type { ChatMessage, ChatTemplateOptions, Tokenizer } from '@molrl/tokenize';
import { mapRoles, roleLabelsWithFeedback, type MapRolesOptions } from './messages.js';
import type { LabelledTrace, TokenLabel, TraceMessage } from './types.js';

export interface LabelTraceOptions extends ChatTemplateOptions, MapRolesOptions {
  /**
   * Data-set roles whose tokens are feedback (cross-entropy). Default: `tool` and
   * `tool-response`. Overrides the feedback entries of `roleLabels`.
   */
  feedbackRoles?: string[];
}

/** An empty think block and the white space after it, as templates write it. */
const EMPTY_THINK = /<think>\s*<\/think>\s*/g;

/**
 * Token ids and labels of a conversation. `messages` may use the data set's role
 * names (`tool-response`, `tool-call`): they are mapped by `roleMap` (default
 * smolagents' roles) before rendering, and labelled by their original role. The
 * ids are exactly `tokenizer.encodeChat(mapped, options).ids`; for messages that
 * already use chat roles (system/user/assistant/tool) that is
 * `tokenizer.encodeChat(messages, options).ids`.
 */
export function labelTrace(
  messages: ReadonlyArray<TraceMessage | ChatMessage>,
  tokenizer: Tokenizer,
  options: LabelTraceOptions = {},
): LabelledTrace {
  const { roleMap, roleLabels, mergeConsecutive, feedbackRoles, observationPattern, ...chatOptions } = options;
  const labelsByRole = feedbackRoles ? roleLabelsWithFeedback(feedbackRoles, roleLabels) : roleLabels;
  const mapped = mapRoles(messages as TraceMessage[], {
    roleMap,
    roleLabels: labelsByRole,
    mergeConsecutive: mergeConsecutive ?? false,
    observationPattern,
  });
  const enc = tokenizer.encodeChat(mapped.messages as ChatMessage[], chatOptions);
  const labels: TokenLabel[] = enc.messageIndex.map((m) => (m < 0 ? 'glue' : mapped.labels[m]!));
  const emptyThink = new Array<boolean>(enc.ids.length).fill(false);
  const blocks: Array<[number, number]> = [];
  for (const match of enc.text.matchAll(EMPTY_THINK)) blocks.push([match.index, match.index + match[0].length]);
  if (blocks.length > 0) {
    let k = 0;
    enc.offsets.forEach(([a, b], t) => {
      while (k < blocks.length && blocks[k]![1] <= a) k++;
      const block = blocks[k];
      if (block && labels[t] === 'decision' && a >= block[0] && b <= block[1]) emptyThink[t] = true;
    });
  }
  return { ids: enc.ids, labels, emptyThink };
}

/** Counts of each label (and of EETB-marked tokens) in a labelled trace. */
export function labelCounts(
  trace: Pick<LabelledTrace, 'labels' | 'emptyThink'>,
): Record<TokenLabel | 'emptyThink', number> {
  const counts = { prompt: 0, decision: 0, feedback: 0, glue: 0, emptyThink: 0 };
  trace.labels.forEach((l, i) => {
    counts[l]++;
    if (trace.emptyThink[i]) counts.emptyThink++;
  });
  return counts;
}

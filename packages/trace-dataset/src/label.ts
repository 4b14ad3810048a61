/**
 * labelTrace: a conversation to token ids plus one MoL label per token, on top of
 * @molrl/tokenize's encodeChat (which renders the chat template and assigns each
 * token to the message whose span it overlaps, or to the template's glue).
 */
import { checkOptionNames, optionNames } from '@molrl/hub-cache';
import { ENCODE_CHAT_OPTION_NAMES, type ChatMessage, type EncodeChatOptions, type Tokenizer } from '@molrl/tokenize';
import { mapRoles, roleLabelsWithFeedback, type MapRolesOptions } from './messages.js';
import type { LabelledTrace, TokenLabel, TraceMessage } from './types.js';

/**
 * Chat-template options (including `maxTokens`: keep only the first tokens,
 * tokenizing only what they need), role mapping, and which roles are feedback.
 */
export interface LabelTraceOptions extends EncodeChatOptions, MapRolesOptions {
  /**
   * Data-set roles whose tokens are feedback (cross-entropy). Default: `tool` and
   * `tool-response`. Overrides the feedback entries of `roleLabels`.
   */
  feedbackRoles?: string[];
}

/** The options labelTrace takes (the chat template's, the role mapping's, feedbackRoles); it refuses any other. */
export const LABEL_TRACE_OPTION_NAMES: readonly string[] = [
  ...ENCODE_CHAT_OPTION_NAMES,
  ...optionNames<Omit<LabelTraceOptions, keyof EncodeChatOptions>>({
    roleMap: true,
    roleLabels: true,
    mergeConsecutive: true,
    observationPattern: true,
    feedbackRoles: true,
  }),
];

/** An empty think block and the white space after it, as templates write it. */
const EMPTY_THINK = /<think>\s*<\/think>\s*/g;

function checkArguments(messages: unknown, tokenizer: unknown, options: unknown): void {
  if (!Array.isArray(messages))
    throw new TypeError(
      `labelTrace: messages must be an array of { role, content } messages, got ${messages === null ? 'null' : typeof messages}`,
    );
  messages.forEach((m: unknown, i) => {
    if (typeof m !== 'object' || m === null) throw new TypeError(`labelTrace: messages[${i}] must be an object`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || role === '')
      throw new TypeError(`labelTrace: messages[${i}].role must be a non-empty string, got ${typeof role}`);
    if (typeof content !== 'string')
      throw new TypeError(
        `labelTrace: messages[${i}].content must be a string, got ${content === null ? 'null' : typeof content}`,
      );
  });
  if (
    typeof tokenizer !== 'object' ||
    tokenizer === null ||
    typeof (tokenizer as { encodeChat?: unknown }).encodeChat !== 'function'
  )
    throw new TypeError(
      `labelTrace: tokenizer must be a @molrl/tokenize Tokenizer, got ${tokenizer === null ? 'null' : typeof tokenizer}`,
    );
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`labelTrace: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkOptionNames(options, LABEL_TRACE_OPTION_NAMES, 'labelTrace');
}

function mapForTemplate(messages: ReadonlyArray<TraceMessage | ChatMessage>, options: LabelTraceOptions) {
  const { roleMap, roleLabels, mergeConsecutive, feedbackRoles, observationPattern, ...chatOptions } = options;
  const labelsByRole = feedbackRoles ? roleLabelsWithFeedback(feedbackRoles, roleLabels) : roleLabels;
  const mapped = mapRoles(messages as TraceMessage[], {
    roleMap,
    roleLabels: labelsByRole,
    mergeConsecutive: mergeConsecutive ?? false,
    observationPattern,
  });
  return { mapped, chatOptions };
}

/**
 * The conversation as the chat template renders it for labelTrace (roles
 * mapped): what a length check can count before anything is labelled.
 */
export function renderTrace(
  messages: ReadonlyArray<TraceMessage | ChatMessage>,
  tokenizer: Tokenizer,
  options: LabelTraceOptions = {},
): string {
  checkArguments(messages, tokenizer, options);
  const { mapped, chatOptions } = mapForTemplate(messages, options);
  const templateOptions: LabelTraceOptions = { ...chatOptions };
  delete templateOptions.maxTokens;
  return tokenizer.applyChatTemplate(mapped.messages as ChatMessage[], templateOptions);
}

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
  checkArguments(messages, tokenizer, options);
  const { mapped, chatOptions } = mapForTemplate(messages, options);
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

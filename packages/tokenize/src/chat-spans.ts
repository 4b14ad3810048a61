/**
 * Per-token message labels for a rendered conversation.
 *
 * The template is rendered once. Each message's content is then located exactly
 * by rendering again with a private-use marker inserted in its middle and checking
 * that the second render is the first plus that one character (see
 * locateContents). The message's other fields (reasoning, tool-call names and
 * arguments) and contents the marker could not place are found in order after
 * the previous message. Fields the template dropped (e.g. Qwen3 drops the
 * reasoning of earlier turns) are simply not found. Spans:
 *  - system / user / tool messages: from their first to their last rendered field;
 *    the header and wrappers around them (`<|im_start|>user\n`, `<tool_response>\n`)
 *    are template glue;
 *  - assistant messages: everything the model generates for the turn, from the end
 *    of the role header line (so a template-written `<think>\n` block is the
 *    assistant's) through the end-of-turn token (`eos_token`, e.g. `<|im_end|>`)
 *    that follows the last field.
 * Each span is verified to contain the message's content; a mismatch throws.
 * Tokens are then labelled by their character offsets: a token belongs to the
 * first message span it overlaps by at least one character, so a token that
 * straddles a boundary (whitespace merged across it) goes to the message; a
 * token that overlaps none is template glue (message -1, role 'template').
 */
import { checkOptionNames } from '@molrl/hub-cache';
import { describeValue } from './describe-value.js';
import { CHAT_TEMPLATE_OPTION_KEYS, EXTRA_HINT, type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import type { Tokenizer } from './tokenizer.js';

export interface MessageSpan {
  message: number;
  role: string;
  /** [start, end) in the rendered text. */
  start: number;
  end: number;
}

export interface EncodeChatOptions extends ChatTemplateOptions {
  /**
   * Keep only the first maxTokens tokens (exactly those of the whole
   * conversation), tokenizing only the prefix they need
   * (`Tokenizer.prefixFor`): a conversation with one 50 MB message costs its
   * rendering, not its tokenization.
   */
  maxTokens?: number;
}

export interface EncodedChat {
  /** The rendered conversation. */
  text: string;
  ids: number[];
  /** Role of each token's message, or 'template' for glue. */
  roles: string[];
  /** Index of each token's message, or -1 for glue. */
  messageIndex: number[];
  offsets: Array<[number, number]>;
  spans: MessageSpan[];
}

function toolCallFields(m: ChatMessage): string[] {
  const out: string[] = [];
  for (const call of m.tool_calls ?? []) {
    const f =
      (call as { function?: { name: string; arguments: unknown } }).function ??
      (call as unknown as { name: string; arguments: unknown });
    if (typeof f.name === 'string' && f.name) out.push(f.name);
    if (typeof f.arguments === 'string' && f.arguments) out.push(f.arguments);
  }
  return out;
}

interface Field {
  /** As the message gives it, and trimmed (some templates strip fields). */
  exact: string;
  trimmed: string;
  /** The message's `content` (not reasoning or a tool call). */
  isContent: boolean;
}

/** The strings a message contributes to the render, in the order templates write them. */
function fieldsOf(m: ChatMessage): Field[] {
  const content = typeof m.content === 'string' ? m.content : '';
  const fields: Array<[string, boolean]> = [];
  if (typeof m.reasoning_content === 'string') fields.push([m.reasoning_content, false], [content, true]);
  // Only an assistant's content holds its reasoning; `</think>` elsewhere is text.
  else if (m.role === 'assistant' && content.includes('</think>')) {
    const [before, ...rest] = content.split('</think>');
    fields.push([before.split('<think>').pop()!, false], [rest.join('</think>'), false]);
  } else fields.push([content, true]);
  for (const f of toolCallFields(m)) fields.push([f, false]);
  return fields
    .map(([f, isContent]) => ({ exact: f, trimmed: f.trim(), isContent }))
    .filter((f) => f.trimmed.length > 0);
}

const MARKER = '\ue000';

/**
 * Where each message's content starts in the rendered text, found by rendering
 * again with one private-use character inserted in the middle of that content:
 * when the second render is the first plus that one character, the insertion
 * point is known exactly (no guessing among repeated strings). The middle keeps
 * templates' prefix/suffix tests (`startswith('<tool_response>')`) unchanged; a
 * render that changes otherwise, or content holding think tags, gives null.
 */
export function locateContents(
  text: string,
  messages: ChatMessage[],
  render: (messages: ChatMessage[]) => string,
): Array<number | null> {
  return messages.map((m, i) => {
    const c = m.content;
    if (
      typeof c !== 'string' ||
      c.trim().length < 2 ||
      c.includes(MARKER) ||
      c.includes('<think>') ||
      c.includes('</think>')
    )
      return null;
    let mid = Math.floor(c.length / 2);
    if (mid > 0 && /[\udc00-\udfff]/.test(c[mid])) mid--; // keep surrogate pairs whole
    const changed = messages.map((x, j) => (j === i ? { ...x, content: c.slice(0, mid) + MARKER + c.slice(mid) } : x));
    let again: string;
    try {
      again = render(changed);
    } catch {
      return null;
    }
    const p = again.indexOf(MARKER);
    if (
      p < 0 ||
      again.length !== text.length + 1 ||
      !again.startsWith(text.slice(0, p)) ||
      again.slice(p + 1) !== text.slice(p)
    )
      return null;
    // The rendered content holds c[mid] at p; it starts at p - mid, or later when the template stripped it.
    for (let start = p - mid; start <= p; start++) {
      const rendered = c.slice(mid - (p - start));
      if (start >= 0 && text.startsWith(rendered.trimEnd(), start) && c.trimStart().startsWith(rendered.trimStart()))
        return start;
    }
    return null;
  });
}

export function findMessageSpans(
  text: string,
  messages: ChatMessage[],
  endOfTurn: string | undefined,
  contentStarts: Array<number | null> = [],
): MessageSpan[] {
  const spans: MessageSpan[] = [];
  let cursor = 0;
  messages.forEach((m, i) => {
    let first = -1;
    let last = -1;
    let at = cursor;
    const fields = fieldsOf(m);
    const anchor = contentStarts[i] ?? null;
    for (const field of fields) {
      let f = field.exact;
      let k: number;
      if (field.isContent && anchor !== null && anchor >= at) {
        k = anchor;
        const tail = m.content.slice(m.content.length - m.content.trimStart().length);
        f = text.startsWith(field.exact, k) ? field.exact : text.startsWith(tail, k) ? tail : field.trimmed;
      } else {
        // Before a located content, only look in front of it (reasoning comes first).
        const limit =
          anchor !== null && !field.isContent && fields.indexOf(field) < fields.findIndex((x) => x.isContent)
            ? anchor
            : text.length;
        // Templates usually write a field as given; some strip it (Qwen3's reasoning).
        k = text.indexOf(field.exact, at);
        if ((k < 0 || k + f.length > limit) && field.trimmed !== field.exact) {
          f = field.trimmed;
          k = text.indexOf(field.trimmed, at);
        }
        if (k + f.length > limit) k = -1;
      }
      if (k < 0) continue; // dropped by the template
      if (first < 0) first = k;
      last = k + f.length;
      at = last;
    }
    let start = first;
    let end = last;
    if (m.role === 'assistant') {
      // An empty turn has no field to search back from: its header is the next one after the last span.
      const header = first >= 0 ? text.lastIndexOf(`${m.role}\n`, first) : text.indexOf(`${m.role}\n`, cursor);
      const headerEnd = header >= cursor ? header + m.role.length + 1 : -1;
      if (headerEnd >= 0) start = headerEnd;
      if (end < 0) end = start;
      if (endOfTurn && start >= 0) {
        const eot = text.indexOf(endOfTurn, end);
        const next = findNextFieldStart(text, messages, i + 1, end, contentStarts);
        if (eot >= 0 && (next < 0 || eot < next)) end = eot + endOfTurn.length;
      }
    }
    if (start < 0) {
      spans.push({ message: i, role: m.role, start: cursor, end: cursor });
      return;
    }
    spans.push({ message: i, role: m.role, start, end });
    cursor = end;
  });
  return spans;
}

function findNextFieldStart(
  text: string,
  messages: ChatMessage[],
  from: number,
  at: number,
  contentStarts: Array<number | null>,
): number {
  for (let j = from; j < messages.length; j++) {
    const located = contentStarts[j];
    for (const f of fieldsOf(messages[j])) {
      if (f.isContent && located !== null && located !== undefined && located >= at) return located;
      const k = text.indexOf(f.trimmed, at);
      if (k >= 0) return k;
    }
  }
  return -1;
}

/** The options `encodeChat` takes: the chat template's and `maxTokens`; it refuses any other. */
export const ENCODE_CHAT_OPTION_NAMES: readonly string[] = [...CHAT_TEMPLATE_OPTION_KEYS, 'maxTokens'];

export function encodeChat(
  tokenizer: Tokenizer,
  messages: ChatMessage[],
  options: EncodeChatOptions = {},
): EncodedChat {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`encodeChat: options must be an object, got ${describeValue(options)}`);
  checkOptionNames(options, ENCODE_CHAT_OPTION_NAMES, 'encodeChat', { hint: EXTRA_HINT });
  const { maxTokens, ...templateOptions } = options;
  if (maxTokens !== undefined && !(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 0))
    throw new TypeError(`encodeChat: options.maxTokens must be an integer >= 0, got ${String(maxTokens)}`);
  const text = tokenizer.applyChatTemplate(messages, templateOptions);
  const contentStarts = locateContents(text, messages, (changed) =>
    tokenizer.applyChatTemplate(changed, templateOptions),
  );
  const spans = findMessageSpans(text, messages, tokenizer.eosToken, contentStarts);
  for (const s of spans) {
    const m = messages[s.message];
    const piece = text.slice(s.start, s.end);
    const content = typeof m.content === 'string' ? m.content.trim() : '';
    const visible = content.includes('</think>') ? content.split('</think>').pop()!.trim() : content;
    // A message the template rendered nothing of (a role it does not know: Qwen3's writes nothing for "robot").
    if (visible && !text.includes(visible)) {
      throw new Error(
        `encodeChat: messages[${s.message}] (role ${JSON.stringify(m.role)}): the chat template did not render its content; ` +
          'is the role one the template knows?',
      );
    }
    if (visible && !piece.includes(visible)) {
      throw new Error(
        `encodeChat: messages[${s.message}] (${m.role}): its content was rendered outside the span found for it`,
      );
    }
  }
  const tokenized = maxTokens === undefined ? text : text.slice(0, tokenizer.prefixFor(text, maxTokens));
  const enc = tokenizer.encodeWithOffsets(tokenized, {
    addSpecialTokens: false,
    ...(maxTokens !== undefined ? { truncation: { maxLength: maxTokens } } : {}),
  });
  const roles: string[] = new Array(enc.ids.length);
  const messageIndex: number[] = new Array(enc.ids.length);
  const ordered = spans.filter((s) => s.end > s.start);
  let k = 0;
  enc.offsets.forEach(([a, b], t) => {
    while (k < ordered.length && ordered[k].end <= a) k++;
    const s = ordered[k];
    const overlaps = s !== undefined && s.start < Math.max(b, a + 1) && a < s.end;
    roles[t] = overlaps ? s.role : 'template';
    messageIndex[t] = overlaps ? s.message : -1;
  });
  return { text, ids: enc.ids, roles, messageIndex, offsets: enc.offsets, spans };
}

/**
 * Per-token message labels for a rendered conversation.
 *
 * The template is rendered once; each message's span in the rendered string is
 * found by locating, in order and after the previous message, the text fields the
 * message contributed (reasoning, content, tool-call names and arguments). Fields
 * the template dropped (e.g. Qwen3 drops the reasoning of earlier turns) are
 * simply not found. Spans:
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
import type { ChatMessage, ChatTemplateOptions } from './chat-template.js';
import type { Tokenizer } from './tokenizer.js';

export interface MessageSpan {
  message: number;
  role: string;
  /** [start, end) in the rendered text. */
  start: number;
  end: number;
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
    const f = (call as { function?: { name: string; arguments: unknown } }).function ?? (call as unknown as { name: string; arguments: unknown });
    if (typeof f.name === 'string' && f.name) out.push(f.name);
    if (typeof f.arguments === 'string' && f.arguments) out.push(f.arguments);
  }
  return out;
}

/** The strings a message contributes to the render, in the order templates write them: [as given, trimmed]. */
function fieldsOf(m: ChatMessage): Array<[string, string]> {
  const content = typeof m.content === 'string' ? m.content : '';
  const fields: string[] = [];
  if (typeof m.reasoning_content === 'string') fields.push(m.reasoning_content, content);
  else if (content.includes('</think>')) {
    const [before, ...rest] = content.split('</think>');
    fields.push(before.split('<think>').pop()!, rest.join('</think>'));
  } else fields.push(content);
  return [...fields, ...toolCallFields(m)].map((f): [string, string] => [f, f.trim()]).filter(([, t]) => t.length > 0);
}

export function findMessageSpans(text: string, messages: ChatMessage[], endOfTurn: string | undefined): MessageSpan[] {
  const spans: MessageSpan[] = [];
  let cursor = 0;
  messages.forEach((m, i) => {
    let first = -1;
    let last = -1;
    let at = cursor;
    for (const [exact, trimmed] of fieldsOf(m)) {
      // Templates usually write a field as given; some strip it (Qwen3's reasoning).
      let f = exact;
      let k = text.indexOf(exact, at);
      if (k < 0 && trimmed !== exact) {
        f = trimmed;
        k = text.indexOf(trimmed, at);
      }
      if (k < 0 || f.length === 0) continue; // dropped by the template
      if (first < 0) first = k;
      last = k + f.length;
      at = last;
    }
    let start = first;
    let end = last;
    if (m.role === 'assistant') {
      const header = text.lastIndexOf(`${m.role}\n`, first >= 0 ? first : text.length);
      const headerEnd = header >= cursor ? header + m.role.length + 1 : -1;
      if (headerEnd >= 0) start = headerEnd;
      if (end < 0) end = start;
      if (endOfTurn && start >= 0) {
        const eot = text.indexOf(endOfTurn, end);
        const nextHeader = text.indexOf('\n', end) >= 0 ? findNextFieldStart(text, messages, i + 1, end) : -1;
        if (eot >= 0 && (nextHeader < 0 || eot < nextHeader)) end = eot + endOfTurn.length;
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

function findNextFieldStart(text: string, messages: ChatMessage[], from: number, at: number): number {
  for (let j = from; j < messages.length; j++) {
    for (const [, f] of fieldsOf(messages[j])) {
      const k = text.indexOf(f, at);
      if (k >= 0) return k;
    }
  }
  return -1;
}

export function encodeChat(tokenizer: Tokenizer, messages: ChatMessage[], options: ChatTemplateOptions = {}): EncodedChat {
  const text = tokenizer.applyChatTemplate(messages, options);
  const spans = findMessageSpans(text, messages, tokenizer.eosToken);
  for (const s of spans) {
    const m = messages[s.message];
    const piece = text.slice(s.start, s.end);
    const content = typeof m.content === 'string' ? m.content.trim() : '';
    const visible = content.includes('</think>') ? content.split('</think>').pop()!.trim() : content;
    if (visible && text.includes(visible) && !piece.includes(visible)) {
      throw new Error(`encodeChat: messages[${s.message}] (${m.role}): its content was rendered outside the span found for it`);
    }
  }
  const enc = tokenizer.encodeWithOffsets(text, { addSpecialTokens: false });
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

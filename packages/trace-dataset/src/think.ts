/**
 * Think-block handling from the paper's preprocessing: reasoning models' decisions
 * have their `<think>` blocks cleared (kept as an empty block, so the length stays
 * learnable), non-reasoning models' decisions get an empty block inserted, so both
 * look like Qwen3's non-thinking output: `<think>\n\n</think>\n\n` + answer.
 */
import type { TraceMessage } from './types.js';

export const EMPTY_THINK_BLOCK = '<think>\n\n</think>\n\n';

export type ThinkMode =
  /** Leave decisions as they are. */
  | 'keep'
  /** Replace every think block's content (and `reasoning_content`) with an empty block. */
  | 'clear'
  /** Ensure each decision starts with an empty think block (clearing any existing one). */
  | 'insert-empty';

const THINK_BLOCK = /<think>[\s\S]*?<\/think>\s*/g;

/** Apply a think mode to the decisions (messages whose role is in `decisionRoles`). */
export function applyThinkMode(
  messages: TraceMessage[],
  mode: ThinkMode,
  decisionRoles: string[] = ['assistant'],
): TraceMessage[] {
  if (mode !== 'keep' && mode !== 'clear' && mode !== 'insert-empty')
    throw new RangeError(`applyThinkMode: mode must be 'keep', 'clear' or 'insert-empty', got ${JSON.stringify(mode)}`);
  if (mode === 'keep') return messages;
  return messages.map((m) => {
    if (!decisionRoles.includes(m.role)) return m;
    const hadThink =
      m.content.includes('<think>') ||
      m.content.includes('</think>') ||
      (typeof m.reasoning_content === 'string' && m.reasoning_content.length > 0);
    let body = m.content;
    // A reasoning opened in an earlier message and closed in this one: its tail goes too.
    const close = body.indexOf('</think>');
    const firstOpen = body.indexOf('<think>');
    const closesEarlier = close >= 0 && (firstOpen < 0 || close < firstOpen);
    if (closesEarlier) body = body.slice(close + '</think>'.length);
    body = body.replace(THINK_BLOCK, '');
    // An unclosed <think> (a cut reasoning) takes the rest of the message with it.
    const open = body.indexOf('<think>');
    if (open >= 0) body = body.slice(0, open);
    const { reasoning_content: _dropped, ...rest } = m;
    const content = mode === 'insert-empty' || hadThink ? EMPTY_THINK_BLOCK + body.trimStart() : body;
    return { ...rest, content };
  });
}

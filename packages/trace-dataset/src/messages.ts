/**
 * Message normalisation and role mapping. smolagents writes its memory as chat
 * messages whose content is a list of `{type: "text", text}` parts and whose roles
 * include `tool-call` ("Calling tools: [...]") and `tool-response` ("Observation:
 * ..." or "Error: ..."); chat templates know system/user/assistant/tool.
 */
import type { RawMessage, TokenLabel, TraceMessage } from './types.js';

/** Data-set role -> chat-template role. Roles not listed are passed through. */
export type RoleMap = Record<string, string>;

/** smolagents' roles mapped to chat-template roles (tool calls are the assistant's, responses the tool's). */
export const SMOLAGENTS_ROLE_MAP: RoleMap = { 'tool-call': 'assistant', 'tool-response': 'tool' };

/**
 * Environment answers that a data set stores as `user` messages (smolagents sends
 * tool responses to models as user turns; exports made from those model inputs
 * keep them so): such a user message after the task is feedback.
 */
export const DEFAULT_OBSERVATION_PATTERN = /^\s*(?:Observation:|Call id: |Error:\n|Execution logs:)/;

/** Data-set role -> MoL label of that message's tokens. */
export type RoleLabels = Record<string, Exclude<TokenLabel, 'glue'>>;

export const DEFAULT_ROLE_LABELS: RoleLabels = {
  system: 'prompt',
  user: 'prompt',
  assistant: 'decision',
  'tool-call': 'decision',
  tool: 'feedback',
  'tool-response': 'feedback',
};

/** Role labels where `feedbackRoles` (and only they) count as feedback. */
export function roleLabelsWithFeedback(feedbackRoles: string[], base: RoleLabels = DEFAULT_ROLE_LABELS): RoleLabels {
  const out: RoleLabels = {};
  for (const [role, label] of Object.entries(base)) out[role] = label === 'feedback' ? 'prompt' : label;
  for (const role of feedbackRoles) out[role] = 'feedback';
  return out;
}

/**
 * The text of a message content (string, or the concatenated text parts); where names the message in errors.
 * Parts of another type (an image) carry no text for a language model and are left out; `onNonText(type)` hears
 * of each, so a build can say how many it left out.
 */
export function contentText(content: RawMessage['content'], where: string, onNonText?: (type: string) => void): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content))
    throw new TypeError(`${where}.content: expected a string or a list of parts, got ${typeof content}`);
  return content
    .map((part, i) => {
      if (typeof part !== 'object' || part === null)
        throw new TypeError(`${where}.content[${i}]: expected an object part`);
      if (part.type !== undefined && part.type !== 'text') {
        if (typeof part.type !== 'string')
          throw new TypeError(`${where}.content[${i}].type: expected a string, got ${JSON.stringify(part.type)}`);
        onNonText?.(part.type);
        return '';
      }
      if (typeof part.text !== 'string') throw new TypeError(`${where}.content[${i}].text: expected a string`);
      return part.text;
    })
    .join('');
}

/** Normalise raw messages (content to strings); throws naming the message and field. `onNonText`: see contentText. */
export function normalizeMessages(
  raw: unknown,
  where = 'messages',
  onNonText?: (type: string) => void,
): TraceMessage[] {
  let list = raw;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list);
    } catch {
      throw new TypeError(`${where}: a string that is not JSON`);
    }
  }
  if (!Array.isArray(list))
    throw new TypeError(`${where}: expected a list of messages, got ${list === null ? 'null' : typeof list}`);
  return list.map((m, i) => {
    const at = `${where}[${i}]`;
    if (typeof m !== 'object' || m === null) throw new TypeError(`${at}: expected an object`);
    const { role, content, ...rest } = m as RawMessage;
    if (typeof role !== 'string' || !role) throw new TypeError(`${at}.role: expected a non-empty string`);
    // null is a message with no text (a tool call's assistant turn); a missing field is a malformed row.
    if (!('content' in (m as object)) || content === undefined)
      throw new TypeError(`${at}.content: missing (expected a string, a list of parts or null)`);
    const out: TraceMessage = { ...rest, role, content: contentText(content, at, onNonText) };
    return out;
  });
}

export interface MappedMessages {
  /** Messages with chat-template roles. */
  messages: TraceMessage[];
  /** For each mapped message, the label its tokens get. */
  labels: Array<Exclude<TokenLabel, 'glue'>>;
}

export interface MapRolesOptions {
  roleMap?: RoleMap;
  roleLabels?: RoleLabels;
  /**
   * Join consecutive messages that map to the same chat role and label (smolagents
   * does this before calling a model: an assistant turn and its tool call become one
   * assistant message), with "\n" between them. Default false.
   */
  mergeConsecutive?: boolean;
  /**
   * A `user` message after the first one whose content matches is labelled
   * feedback (default DEFAULT_OBSERVATION_PATTERN; null: labels by role only).
   */
  observationPattern?: RegExp | null;
}

/** Map data-set roles to chat roles, keeping each message's MoL label. */
export function mapRoles(messages: TraceMessage[], options: MapRolesOptions = {}): MappedMessages {
  const roleMap = options.roleMap ?? SMOLAGENTS_ROLE_MAP;
  const roleLabels = options.roleLabels ?? DEFAULT_ROLE_LABELS;
  const merge = options.mergeConsecutive ?? false;
  const observation =
    options.observationPattern === undefined ? DEFAULT_OBSERVATION_PATTERN : options.observationPattern;
  const firstUser = messages.findIndex((m) => m.role === 'user');
  const out: TraceMessage[] = [];
  const labels: Array<Exclude<TokenLabel, 'glue'>> = [];
  messages.forEach((m, i) => {
    const role = roleMap[m.role] ?? m.role;
    let label = roleLabels[m.role] ?? roleLabels[role];
    if (label === undefined)
      throw new TypeError(`messages[${i}].role: "${m.role}" has no label (add it to roleLabels)`);
    if (label === 'prompt' && m.role === 'user' && i > firstUser && observation?.test(m.content)) label = 'feedback';
    const prev = out[out.length - 1];
    if (merge && prev && prev.role === role && labels[labels.length - 1] === label && role !== 'tool') {
      out[out.length - 1] = { ...prev, content: `${prev.content}\n${m.content}` };
      return;
    }
    out.push({ ...m, role });
    labels.push(label);
  });
  return { messages: out, labels };
}

/**
 * Split observations written inside assistant messages (some exports keep the
 * whole step, "Thought... Code... Observation: ...", in one assistant turn) into
 * separate `tool-response` messages, so they are learned as feedback. A new
 * observation starts at a line beginning with "Observation:" and runs until a
 * line beginning with "Thought:" or the end.
 */
export function splitEmbeddedObservations(
  messages: TraceMessage[],
  decisionRoles: string[] = ['assistant'],
): TraceMessage[] {
  const out: TraceMessage[] = [];
  for (const m of messages) {
    if (!decisionRoles.includes(m.role) || !/(^|\n)Observation:/.test(m.content)) {
      out.push(m);
      continue;
    }
    const parts = m.content.split(/(?=(?:^|\n)(?:Observation:|Thought:))/);
    let decision = '';
    for (const raw of parts) {
      const part = raw.replace(/^\n/, '');
      if (part.startsWith('Observation:')) {
        if (decision) out.push({ ...m, content: decision });
        decision = '';
        out.push({ role: 'tool-response', content: part.replace(/\n+$/, '') });
      } else decision += (decision ? '\n' : '') + part;
    }
    if (decision) out.push({ ...m, content: decision });
  }
  return out;
}

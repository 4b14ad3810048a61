/**
 * A data-set row to the interaction structure: system prompt and task (x), then
 * steps of decision (y_t: thought + code, the assistant's message and its tool
 * call) and feedback (f_t: the tool responses that follow it).
 */
import { DEFAULT_OBSERVATION_PATTERN, normalizeMessages } from './messages.js';
import type { Trace, TraceMessage, TraceStep } from './types.js';

export interface TraceSchema {
  /** Column holding the chat messages (default "messages"). */
  messagesColumn?: string;
  /** Column holding a trace id; default: none (ids are `<source>#<row>`). */
  idColumn?: string;
  /** Roles of decisions (default assistant, tool-call). */
  decisionRoles?: string[];
  /** Roles of feedback (default tool, tool-response). */
  feedbackRoles?: string[];
  /** User messages after the task that match are feedback too (default DEFAULT_OBSERVATION_PATTERN; null: none). */
  observationPattern?: RegExp | null;
}

export class TraceParseError extends Error {
  constructor(
    readonly source: string,
    readonly row: number,
    readonly reason: string,
  ) {
    super(`${source}: row ${row}: ${reason}`);
    this.name = 'TraceParseError';
  }
}

const FENCED = /```(?:py|python)?[ \t]*\n([\s\S]*?)```/g;
const CODE_TAG = /<code>([\s\S]*?)<\/code>/g;
const TOOL_ARGUMENTS = /'arguments':\s*'((?:[^'\\]|\\.)*)'/g;

function unescapePythonString(s: string): string {
  return s.replace(/\\(n|t|r|'|"|\\)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/** Python code blocks in a decision: fenced py/python blocks or `<code>` tags, else a tool call's `arguments`. */
export function extractCodeBlocks(text: string): string[] {
  const blocks = [...text.matchAll(FENCED)].map((m) => m[1]!);
  if (blocks.length === 0) blocks.push(...[...text.matchAll(CODE_TAG)].map((m) => m[1]!));
  if (blocks.length === 0 && text.startsWith('Calling tools:')) {
    blocks.push(...[...text.matchAll(TOOL_ARGUMENTS)].map((m) => unescapePythonString(m[1]!)));
  }
  return blocks.map((b) => b.replace(/\s+$/, ''));
}

/** The argument text of the last `final_answer(...)` call in the code, parentheses balanced. */
export function lastFinalAnswer(code: string): string | null {
  const at = code.lastIndexOf('final_answer(');
  if (at < 0) return null;
  let depth = 0;
  const start = at + 'final_answer('.length;
  for (let i = start; i < code.length; i++) {
    const c = code[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return code.slice(start, i).trim();
      depth--;
    }
  }
  return null;
}

/** Parse one row; throws TraceParseError naming the row and what is wrong. */
export function parseTrace(
  row: Record<string, unknown>,
  rowNumber: number,
  source: string,
  schema: TraceSchema = {},
): Trace {
  const column = schema.messagesColumn ?? 'messages';
  const decisionRoles = schema.decisionRoles ?? ['assistant', 'tool-call'];
  const feedbackRoles = schema.feedbackRoles ?? ['tool', 'tool-response'];
  const observation = schema.observationPattern === undefined ? DEFAULT_OBSERVATION_PATTERN : schema.observationPattern;
  const fail = (reason: string): never => {
    throw new TraceParseError(source, rowNumber, reason);
  };
  if (typeof row !== 'object' || row === null || Array.isArray(row)) fail('not an object');
  if (!(column in row)) fail(`missing column "${column}"`);
  let messages: TraceMessage[] = [];
  const nonTextParts: Record<string, number> = {};
  try {
    messages = normalizeMessages(row[column], column, (type) => (nonTextParts[type] = (nonTextParts[type] ?? 0) + 1));
  } catch (err) {
    fail((err as Error).message);
  }
  if (messages.length === 0) fail(`${column}: empty`);
  const systemIndex = messages.findIndex((m) => m.role === 'system');
  const taskIndex = messages.findIndex((m) => m.role === 'user');
  if (taskIndex < 0) fail(`${column}: no user message (the task)`);
  const firstDecision = messages.findIndex((m) => decisionRoles.includes(m.role));
  if (firstDecision < 0) fail(`${column}: no decision (${decisionRoles.join('/')}) message`);
  if (firstDecision < taskIndex) fail(`${column}[${firstDecision}]: a decision before the task`);

  const steps: TraceStep[] = [];
  let current: TraceStep | null = null;
  let lastWasFeedback = false;
  messages.forEach((m, i) => {
    if (i < firstDecision) return;
    if (decisionRoles.includes(m.role)) {
      // A tool call directly after its assistant message belongs to the same decision.
      if (!current || lastWasFeedback || m.role === 'assistant') {
        current = { decision: '', code: [], feedback: '' };
        steps.push(current);
      }
      if (m.role !== 'tool-call' || current.decision === '')
        current.decision += (current.decision ? '\n' : '') + m.content;
      const code = extractCodeBlocks(m.content);
      for (const c of code) if (!current.code.includes(c)) current.code.push(c);
      lastWasFeedback = false;
    } else if (feedbackRoles.includes(m.role) || (m.role === 'user' && i > taskIndex && observation?.test(m.content))) {
      if (!current) return;
      current.feedback += (current.feedback ? '\n' : '') + m.content;
      lastWasFeedback = true;
    } else lastWasFeedback = true; // e.g. a "Now proceed" user turn: ends the step
  });
  let finalAnswer: string | null = null;
  for (const s of steps) for (const c of s.code) finalAnswer = lastFinalAnswer(c) ?? finalAnswer;

  const idValue = schema.idColumn ? row[schema.idColumn] : undefined;
  if (schema.idColumn && (typeof idValue !== 'string' || !idValue) && typeof idValue !== 'number')
    fail(`${schema.idColumn}: missing id`);
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k !== column) meta[k] = v;
  return {
    id: idValue !== undefined ? String(idValue) : `${source}#${rowNumber}`,
    messages,
    system: systemIndex >= 0 ? messages[systemIndex]!.content : '',
    task: messages[taskIndex]!.content.replace(/^New task:\n/, ''),
    steps,
    finalAnswer,
    meta,
    ...(Object.keys(nonTextParts).length ? { nonTextParts } : {}),
  };
}

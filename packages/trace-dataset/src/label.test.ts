import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@molrl/tokenize';
import { CHATML_VERBATIM_TEMPLATE } from './chatml.js';
import { labelCounts, labelTrace } from './label.js';
import { mapRoles, normalizeMessages } from './messages.js';
import { applyThinkMode } from './think.js';
import { localTrace, thinkingTrace } from './test-util/fixtures.test-util.js';
import type { TraceMessage } from './types.js';

const tok = Tokenizer.qwen3();

const chat: TraceMessage[] = [
  { role: 'system', content: 'You solve tasks with Python.' },
  { role: 'user', content: 'What is 2**10?' },
  { role: 'assistant', content: 'Thought: compute it.\nCode:\n```py\nprint(2**10)\n```<end_code>' },
  { role: 'tool', content: 'Observation:\nExecution logs:\n1024\nLast output from code snippet:\nNone' },
  { role: 'assistant', content: 'Thought: done.\nCode:\n```py\nfinal_answer(1024)\n```<end_code>' },
  { role: 'tool', content: 'Observation:\nExecution logs:\nLast output from code snippet:\n1024' },
];

function textOf(ids: number[], labels: string[], want: string): string {
  return tok.decode(ids.filter((_, i) => labels[i] === want));
}

describe('labelTrace arguments', () => {
  it('names what is wrong', () => {
    expect(() => labelTrace('hello' as never, tok)).toThrow(
      /labelTrace: messages must be an array of \{ role, content \} messages, got string/,
    );
    expect(() => labelTrace([{ role: 'user' }] as never, tok)).toThrow(
      /labelTrace: messages\[0\]\.content must be a string, got undefined/,
    );
    expect(() => labelTrace(chat, undefined as never)).toThrow(
      /labelTrace: tokenizer must be a @molrl\/tokenize Tokenizer, got undefined/,
    );
    expect(() => labelTrace(chat, tok, { maxTokens: -1 })).toThrow(/maxTokens must be an integer >= 0/);
    expect(() => labelTrace(chat, tok, { merge_consecutive: true } as never)).toThrow(
      /^labelTrace: unknown option 'merge_consecutive' \(did you mean 'mergeConsecutive'\?\); known: addGenerationPrompt, .*feedbackRoles$/,
    );
  });
});

describe('labelTrace', () => {
  it('gives the ids encodeChat gives, one label per id', () => {
    for (const options of [{}, { enableThinking: false }, { chatTemplate: CHATML_VERBATIM_TEMPLATE }]) {
      const labelled = labelTrace(chat, tok, options);
      expect(labelled.ids).toEqual(tok.encodeChat(chat, options).ids);
      expect(labelled.labels).toHaveLength(labelled.ids.length);
      expect(labelled.emptyThink).toHaveLength(labelled.ids.length);
    }
  });

  it('labels system and task as prompt, assistant turns as decision, tool answers as feedback, the rest as glue', () => {
    const { ids, labels } = labelTrace(chat, tok);
    expect(textOf(ids, labels, 'prompt')).toBe('You solve tasks with Python.What is 2**10?');
    // Feedback tokens are exactly the observations: the <tool_response> wrappers are glue.
    expect(textOf(ids, labels, 'feedback')).toBe(chat[3]!.content + chat[5]!.content);
    const decision = textOf(ids, labels, 'decision');
    expect(decision).toContain('print(2**10)');
    expect(decision).toContain('final_answer(1024)');
    expect(decision).not.toContain('1024\nLast output');
    const glue = textOf(ids, labels, 'glue');
    expect(glue).toContain('<|im_start|>user');
    expect(glue).toContain('<tool_response>');
    expect(labels[0]).toBe('glue');
  });

  it('maps smolagents roles (tool-call, tool-response) and labels them by their own role', () => {
    const messages = normalizeMessages(localTrace(0).messages);
    const labelled = labelTrace(messages, tok);
    const mapped = mapRoles(messages).messages;
    expect(mapped.map((m) => m.role)).toContain('tool');
    expect(labelled.ids).toEqual(tok.encodeChat(mapped, {}).ids);
    const feedback = textOf(labelled.ids, labelled.labels, 'feedback');
    expect(feedback).toContain('Execution logs:');
    expect(feedback).not.toContain('Calling tools');
    expect(textOf(labelled.ids, labelled.labels, 'decision')).toContain('Calling tools');
  });

  it('feedbackRoles decides which roles count as feedback', () => {
    const only = labelTrace(chat, tok, { feedbackRoles: [] });
    expect(labelCounts(only).feedback).toBe(0);
    const withUser = labelTrace(chat, tok, { feedbackRoles: ['tool', 'user'] });
    expect(textOf(withUser.ids, withUser.labels, 'feedback')).toContain('What is 2**10?');
  });

  it('observations stored as user messages (smolagents model input) are feedback; the task is not', () => {
    const asUser = chat.map((m) => (m.role === 'tool' ? { ...m, role: 'user' } : m));
    const l = labelTrace(asUser, tok);
    expect(textOf(l.ids, l.labels, 'feedback')).toBe(chat[3]!.content + chat[5]!.content);
    expect(textOf(l.ids, l.labels, 'prompt')).toBe('You solve tasks with Python.What is 2**10?');
    const byRole = labelTrace(asUser, tok, { observationPattern: null });
    expect(labelCounts(byRole).feedback).toBe(0);
  });

  it('names a role it cannot label', () => {
    expect(() => labelTrace([{ role: 'narrator', content: 'x' }], tok)).toThrow(/messages\[0\]\.role: "narrator"/);
  });

  it('marks empty think blocks in decisions (EETB)', () => {
    const messages = applyThinkMode(chat, 'insert-empty');
    const verbatim = labelTrace(messages, tok, { chatTemplate: CHATML_VERBATIM_TEMPLATE });
    const marked = verbatim.ids.filter((_, i) => verbatim.emptyThink[i]);
    expect(tok.decode(marked)).toBe('<think>\n\n</think>\n\n'.repeat(2));
    verbatim.emptyThink.forEach((e, i) => e && expect(verbatim.labels[i]).toBe('decision'));
    // Qwen3's own template keeps no think block in these turns (see chatml.ts): nothing to mark.
    const qwen = labelTrace(messages, tok);
    expect(qwen.emptyThink.some(Boolean)).toBe(false);
    // Without think blocks nothing is marked.
    expect(labelTrace(chat, tok, { chatTemplate: CHATML_VERBATIM_TEMPLATE }).emptyThink.some(Boolean)).toBe(false);
  });

  it('a cleared reasoning model trace carries only empty think blocks', () => {
    const messages = applyThinkMode(normalizeMessages(thinkingTrace().messages), 'clear');
    expect(messages[2]!.content.startsWith('<think>\n\n</think>\n\nThought:')).toBe(true);
    const l = labelTrace(messages, tok, { chatTemplate: CHATML_VERBATIM_TEMPLATE });
    expect(tok.decode(l.ids)).not.toContain('Seven sixes');
    expect(labelCounts(l).emptyThink).toBeGreaterThan(0);
  });
});

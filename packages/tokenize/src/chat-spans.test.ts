import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from './chat-template.js';
import { PACKAGE_DIR } from './test-util/corpus.test-util.js';
import { Tokenizer } from './tokenizer.js';

interface ChatCase {
  name: string;
  messages: ChatMessage[];
  tools?: Array<Record<string, unknown>>;
  options: { add_generation_prompt?: boolean; enable_thinking?: boolean };
}
const cases = JSON.parse(readFileSync(join(PACKAGE_DIR, 'fixtures', 'chat-cases.json'), 'utf8')) as ChatCase[];

/** The text of the tokens labelled with message i. */
function labelled(tok: Tokenizer, enc: ReturnType<Tokenizer['encodeChat']>, i: number): string {
  return tok.decode(enc.ids.filter((_, t) => enc.messageIndex[t] === i));
}

describe('encodeChat role labels', () => {
  const tok = Tokenizer.qwen3();

  it('labels a tool-using agent turn by turn', () => {
    const c = cases.find((x) => x.name === 'tools-and-calls')!;
    const enc = tok.encodeChat(c.messages, { tools: c.tools });
    expect(enc.ids).toEqual(tok.encode(enc.text));
    expect(enc.roles.length).toBe(enc.ids.length);
    expect(enc.messageIndex.length).toBe(enc.ids.length);
    // Prompt turns: their content; ".\n\n" is one token straddling into the template's "\n\n", so it is the message's.
    expect(labelled(tok, enc, 0)).toBe('You solve tasks with code.\n\n');
    expect(labelled(tok, enc, 1)).toBe('What is the 10th Fibonacci number?');
    // The decision: everything generated for the turn, tool call and end-of-turn included.
    expect(labelled(tok, enc, 2)).toBe(
      'I will compute it.\n<tool_call>\n{"name": "python", "arguments": {"code": "a, b = 0, 1\\nfor _ in range(10):\\n    a, b = b, a + b\\nprint(a)", "timeout": 5}}\n</tool_call><|im_end|>',
    );
    // Feedback: the observation only, its <tool_response> wrapper is template.
    expect(labelled(tok, enc, 3)).toBe('55');
    expect(enc.roles[enc.messageIndex.indexOf(3)]).toBe('tool');
    expect(labelled(tok, enc, 4)).toBe('<think>\n\n</think>\n\nThe 10th Fibonacci number is 55.<|im_end|>');
    // Headers are template glue.
    const glue = tok.decode(enc.ids.filter((_, t) => enc.messageIndex[t] === -1));
    expect(glue).toContain('<|im_start|>assistant\n');
    expect(glue).toContain('# Tools');
    expect(enc.roles.filter((r, t) => (r === 'template') !== (enc.messageIndex[t] === -1))).toEqual([]);
  });

  it('keeps the reasoning of the last turn and drops earlier ones as the template does', () => {
    const c = cases.find((x) => x.name === 'multi-turn-reasoning-content')!;
    const enc = tok.encodeChat(c.messages);
    expect(labelled(tok, enc, 1)).toBe('First answer.<|im_end|>');
    expect(labelled(tok, enc, 3)).toBe('<think>\nLatest reasoning, kept.\n</think>\n\nSecond answer.<|im_end|>');
  });

  it('labels every case of the chat fixtures consistently', () => {
    for (const c of cases) {
      const enc = tok.encodeChat(c.messages, {
        tools: c.tools,
        addGenerationPrompt: c.options.add_generation_prompt,
        enableThinking: c.options.enable_thinking,
      });
      c.messages.forEach((m, i) => {
        const text = labelled(tok, enc, i);
        const content = m.content.includes('</think>') ? m.content.split('</think>').pop()!.trim() : m.content.trim();
        expect(text, `${c.name} message ${i}`).toContain(content);
        if (m.role !== 'assistant') expect(text.trim(), `${c.name} message ${i}`).toBe(content);
        if (m.role !== 'assistant') expect(text.startsWith(m.content), `${c.name} message ${i}`).toBe(true);
      });
      // Labels only move forward through the messages.
      const order = enc.messageIndex.filter((x) => x >= 0);
      expect(order, c.name).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('labels an empty assistant turn before later turns, and </think> in user or tool content as theirs', () => {
    const empty = tok.encodeChat(
      [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'bye' },
      ],
      { addGenerationPrompt: true },
    );
    expect(empty.ids).toEqual(tok.encode(empty.text));
    expect(labelled(tok, empty, 0)).toBe('hi');
    expect(labelled(tok, empty, 1)).toBe('<|im_end|>');
    expect(labelled(tok, empty, 2)).toBe('bye');
    const think = tok.encodeChat([
      { role: 'user', content: '</think> hello' },
      { role: 'assistant', content: 'ok' },
      { role: 'tool', content: '</think>' },
    ]);
    expect(labelled(tok, think, 0)).toBe('</think> hello');
    expect(labelled(tok, think, 2)).toBe('</think>');
  });

  it('gives a token that straddles a boundary to the message it overlaps', () => {
    // "x\n" ends the tool content; the template adds "\n</tool_response>": the "\n\n" token straddles.
    const enc = tok.encodeChat([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: 'ok' },
      { role: 'tool', content: 'x\n' },
    ]);
    const t = enc.offsets.findIndex(([a, b]) => enc.text.slice(a, b) === '\n\n');
    expect(t).toBeGreaterThan(0);
    expect(enc.messageIndex[t]).toBe(2);
  });

  it('finds a message whose text also occurs in the template glue before it', () => {
    // The tool's answer "user" also appears in the header "<|im_start|>user" the template writes before it.
    const messages = [
      { role: 'user', content: 'Who is asking?' },
      { role: 'assistant', content: 'Checking.' },
      { role: 'tool', content: 'user' },
      { role: 'user', content: 'assistant' },
    ];
    const enc = tok.encodeChat(messages);
    const start = enc.text.indexOf('<tool_response>\nuser') + '<tool_response>\n'.length;
    expect(enc.spans[2]).toMatchObject({ start, end: start + 4, role: 'tool' });
    expect(labelled(tok, enc, 2)).toBe('user');
    expect(labelled(tok, enc, 3)).toBe('assistant');
    const headerUser = enc.offsets.findIndex(([a, b]) => enc.text.slice(a, b) === 'user');
    expect(enc.messageIndex[headerUser]).toBe(-1);
  });
});

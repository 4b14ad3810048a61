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
const expected = JSON.parse(readFileSync(join(PACKAGE_DIR, 'fixtures', 'chat-expected.json'), 'utf8')) as {
  renders: Record<string, string>;
};

describe("Qwen3's chat template", () => {
  const tok = Tokenizer.qwen3();

  it.each(cases.map((c) => [c.name, c] as const))(
    'renders %s exactly as Python jinja2 under transformers conventions',
    (_, c) => {
      const text = tok.applyChatTemplate(c.messages, {
        addGenerationPrompt: c.options.add_generation_prompt,
        enableThinking: c.options.enable_thinking,
        tools: c.tools,
      });
      expect(text).toBe(expected.renders[c.name]);
    },
  );

  it('surfaces raise_exception from a template', () => {
    const t = Tokenizer.fromJSON(tok.json, { chat_template: "{{ raise_exception('only user turns') }}" });
    expect(() => t.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(/only user turns/);
  });

  it('checks the messages it is given', () => {
    expect(() => tok.applyChatTemplate([{ role: 3 } as unknown as ChatMessage])).toThrow(
      /messages\[0\]\.role must be a string/,
    );
  });
});

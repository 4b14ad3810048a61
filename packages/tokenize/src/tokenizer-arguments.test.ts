/**
 * Bad arguments at the public entry points: each is a TypeError or
 * RangeError naming the function and the argument, never an internal error or
 * a silent result.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toByteLevel } from './byte-level.js';
import { Tokenizer } from './tokenizer.js';
import { trainBpeTokenizer } from './trainer.js';

const tiny = () => ({
  version: '1.0',
  added_tokens: [{ id: 5, content: '<s>', special: true, normalized: false }],
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
  decoder: { type: 'ByteLevel' },
  model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, Ġ: 3, c: 4 } as Record<string, number>, merges: ['a b'] },
});

describe('Tokenizer arguments', () => {
  const tok = Tokenizer.fromJSON(tiny());

  it('encode refuses a non-string text with its name', () => {
    expect(() => tok.encode(12345 as unknown as string)).toThrow(
      /Tokenizer\.encode: text must be a string, or a \[text, pair\] array of two strings, got number 12345/,
    );
    expect(() => tok.encodeWithOffsets(undefined as unknown as string)).toThrow(
      /Tokenizer\.encodeWithOffsets: text must be a string, or a \[text, pair\] array of two strings, got undefined/,
    );
    expect(() => tok.encodeBatch('ab' as unknown as string[])).toThrow(
      /Tokenizer\.encodeBatch: texts must be an array/,
    );
    expect(() => tok.encodeBatch(['ab', 7 as unknown as string])).toThrow(
      /texts\[1\] must be a string, or a \[text, pair\] array of two strings, got number 7/,
    );
  });

  it('encode checks its options', () => {
    expect(() => tok.encode('ab', { addSpecialTokens: 'no' as unknown as boolean })).toThrow(
      /options\.addSpecialTokens must be a boolean, got "no"/,
    );
    expect(() => tok.encode('ab', { truncation: { maxLength: -1 } })).toThrow(
      /options\.truncation\.maxLength must be an integer >= 0, got number -1/,
    );
    expect(() => tok.encode('ab', { truncation: { maxLength: 2, direction: 'up' as 'left' } })).toThrow(
      /options\.truncation\.direction must be "left" or "right"/,
    );
    expect(() => tok.encode('ab', null as never)).toThrow(/Tokenizer\.encode: options must be an object, got null/);
  });

  it('decode refuses what is not a list of ids', () => {
    expect(() => tok.decode(7 as unknown as number[])).toThrow(
      /Tokenizer\.decode: ids must be an array or a typed array/,
    );
    expect(() => tok.decode('ab' as unknown as number[])).toThrow(/ids must be an array/);
    expect(tok.decode(new Int32Array([0, 1]))).toBe('ab');
    expect(() => tok.decode([0], { skipSpecialTokens: 1 as unknown as boolean })).toThrow(
      /options\.skipSpecialTokens must be a boolean/,
    );
  });

  it('fromFile names a missing path instead of a bare ENOENT', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'molrl-tok-')), 'nope');
    expect(() => Tokenizer.fromFile(missing)).toThrow(
      new RegExp(`Tokenizer\\.fromFile: ${missing}: no such file or folder`),
    );
    expect(() => Tokenizer.fromFile(42 as unknown as string)).toThrow(/Tokenizer\.fromFile: expected the path/);
    const empty = mkdtempSync(join(tmpdir(), 'molrl-tok-'));
    expect(() => Tokenizer.fromFile(empty)).toThrow(
      new RegExp(`Tokenizer\\.fromFile: ${empty} has no tokenizer\\.json`),
    );
  });

  it('fromHub names a repo id that is not one', async () => {
    await expect(Tokenizer.fromHub(5 as unknown as string)).rejects.toThrow(/hubFile: repoId must be a Hub repo id/);
    await expect(Tokenizer.fromHub('../etc')).rejects.toThrow(
      /hubFile: repoId must be a Hub repo id \(owner\/name\), got "\.\.\/etc"/,
    );
  });

  it('fromJSON checks cacheSize', () => {
    expect(() => Tokenizer.fromJSON(tiny(), undefined, { cacheSize: -3 })).toThrow(
      /cacheSize must be an integer >= 0, got number -3/,
    );
  });

  it('refuses two vocabulary tokens on one id', () => {
    const j = tiny();
    j.model.vocab = { ...j.model.vocab, d: 2 };
    expect(() => Tokenizer.fromJSON(j)).toThrow(/model\.vocab\["d"\]: id 2 is already the id of "ab"/);
  });

  it('refuses an added token on an id the vocabulary gives another token, and takes one on its own id', () => {
    const clash = tiny();
    clash.added_tokens.push({ id: 2, content: '<|x|>', special: true, normalized: false });
    expect(() => Tokenizer.fromJSON(clash)).toThrow(
      /added_tokens\[1\]\.id: 2 is already the id of model\.vocab\["ab"\] \(this added token is "<\|x\|>"\)/,
    );
    const same = tiny();
    same.added_tokens.push({ id: 2, content: 'ab', special: false, normalized: false });
    expect(Tokenizer.fromJSON(same).tokenToId('ab')).toBe(2);
  });

  it('refuses added tokens that disagree on an id or a content', () => {
    const sameId = tiny();
    sameId.added_tokens.push({ id: 5, content: '</s>', special: true, normalized: false });
    expect(() => Tokenizer.fromJSON(sameId)).toThrow(/added_tokens\[1\]\.id: 5 is already the id of added_tokens\[0\]/);
    const sameContent = tiny();
    sameContent.added_tokens.push({ id: 6, content: '<s>', special: true, normalized: false });
    expect(() => Tokenizer.fromJSON(sameContent)).toThrow(
      /added_tokens\[1\]\.content: "<s>" is already added_tokens\[0\] with id 5/,
    );
    // The same entry twice is harmless.
    const repeated = tiny();
    repeated.added_tokens.push({ ...repeated.added_tokens[0]! });
    expect(() => Tokenizer.fromJSON(repeated)).not.toThrow();
  });

  it('refuses option keys it does not know, suggesting the camelCase one for a snake_case key', () => {
    const opts = (o: Record<string, unknown>) => o as never;
    expect(() => tok.encode('ab', opts({ add_special_tokens: false }))).toThrow(
      "Tokenizer.encode: unknown option 'add_special_tokens' (did you mean 'addSpecialTokens'?)",
    );
    expect(() => tok.encodeBatch(['ab'], opts({ split_special_tokens: true }))).toThrow(
      "Tokenizer.encodeBatch: unknown option 'split_special_tokens' (did you mean 'splitSpecialTokens'?)",
    );
    expect(() => tok.encodeWithOffsets('ab', opts({ truncation: { max_length: 1 } }))).toThrow(
      "Tokenizer.encodeWithOffsets: unknown option 'truncation.max_length' (did you mean 'truncation.maxLength'?)",
    );
    expect(() => tok.encode('ab', opts({ return_tensors: 'pt' }))).toThrow(
      "Tokenizer.encode: unknown option 'return_tensors'; known: addSpecialTokens, splitSpecialTokens, truncation, padding",
    );
    expect(() => tok.encode('ab', opts({ AddSpecialTokens: false }))).toThrow(/did you mean 'addSpecialTokens'/);
    expect(() => tok.countTokens('ab', opts({ max_tokens: 3 }))).toThrow(
      "Tokenizer.countTokens: unknown option 'max_tokens'; known: limit, addSpecialTokens",
    );
    expect(() => tok.decode([0], opts({ skip_special_tokens: true }))).toThrow(
      "Tokenizer.decode: unknown option 'skip_special_tokens' (did you mean 'skipSpecialTokens'?)",
    );
    expect(() => Tokenizer.fromJSON(tiny(), undefined, opts({ cache_size: 0 }))).toThrow(
      "Tokenizer.fromJSON: unknown option 'cache_size' (did you mean 'cacheSize'?)",
    );
    const dir = mkdtempSync(join(tmpdir(), 'molrl-tok-'));
    expect(() => Tokenizer.fromFile(dir, opts({ file: 'x' }))).toThrow(
      "Tokenizer.fromFile: unknown option 'file'; known: cacheSize",
    );
    // The known keys still work.
    expect(tok.encode('ab', { addSpecialTokens: false, splitSpecialTokens: false, truncation: false })).toEqual([2]);
  });

  it('tokenToId and idToToken refuse what is not a token or an id instead of coercing it', () => {
    expect(() => tok.tokenToId(2 as unknown as string)).toThrow(
      'Tokenizer.tokenToId: token must be a string, got number 2',
    );
    expect(() => tok.tokenToId(undefined as unknown as string)).toThrow(/token must be a string, got undefined/);
    expect(() => tok.idToToken('2' as unknown as number)).toThrow(
      'Tokenizer.idToToken: id must be an integer, got "2"',
    );
    expect(() => tok.idToToken(1.5)).toThrow('Tokenizer.idToToken: id must be an integer, got number 1.5');
    expect(tok.tokenToId('ab')).toBe(2);
    expect(tok.idToToken(2)).toBe('ab');
    expect(tok.idToToken(-1)).toBeUndefined();
    expect(tok.idToToken(99)).toBeUndefined();
    expect(() => tok.decode(['2'] as unknown as number[])).toThrow(
      'Tokenizer.decode: ids[0] must be a number, got "2"',
    );
  });

  it('toByteLevel refuses a non-string', () => {
    expect(() => toByteLevel(123 as unknown as string)).toThrow(/toByteLevel: expected a string, got number/);
  });
});

describe('chat arguments', () => {
  const tok = Tokenizer.qwen3();

  it('encodeChat refuses a message the template renders nothing of', () => {
    expect(() =>
      tok.encodeChat([
        { role: 'user', content: 'hi' },
        { role: 'robot', content: 'beep boop' },
      ]),
    ).toThrow(/encodeChat: messages\[1\] \(role "robot"\): the chat template did not render its content/);
  });

  it('applyChatTemplate checks its options', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(() => tok.applyChatTemplate(messages, { addGenerationPrompt: 'yes' as unknown as boolean })).toThrow(
      /options\.addGenerationPrompt must be a boolean, got string/,
    );
    expect(() => tok.applyChatTemplate(messages, { tools: {} as never })).toThrow(/options\.tools must be an array/);
  });

  it('applyChatTemplate and encodeChat refuse option keys they do not know', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    expect(() => tok.applyChatTemplate(messages, { add_generation_prompt: true } as never)).toThrow(
      "applyChatTemplate: unknown option 'add_generation_prompt' (did you mean 'addGenerationPrompt'?)",
    );
    expect(() => tok.applyChatTemplate(messages, { enable_thinking: false } as never)).toThrow(
      /did you mean 'enableThinking'/,
    );
    expect(() => tok.applyChatTemplate(messages, { date_string: 'today' } as never)).toThrow(
      "applyChatTemplate: unknown option 'date_string'; known: addGenerationPrompt, enableThinking, tools, documents, chatTemplate, extra; other template variables go in options.extra",
    );
    expect(() => tok.encodeChat(messages, { max_tokens: 3 } as never)).toThrow(
      "encodeChat: unknown option 'max_tokens' (did you mean 'maxTokens'?)",
    );
    expect(() => tok.encodeChat(messages, { chat_template: 'default' } as never)).toThrow(
      "encodeChat: unknown option 'chat_template' (did you mean 'chatTemplate'?)",
    );
    expect(() => tok.encodeChat(messages, null as never)).toThrow('encodeChat: options must be an object, got null');
    expect(tok.encodeChat(messages, { maxTokens: 2, addGenerationPrompt: true }).ids).toHaveLength(2);
  });
});

describe('trainBpeTokenizer arguments', () => {
  const silent = { progress: { mode: 'silent' as const } };
  it.each([
    [() => trainBpeTokenizer('abc' as never, { vocabSize: 300, ...silent }), /texts must be an iterable of strings/],
    [
      () => trainBpeTokenizer(['a', 5 as never], { vocabSize: 300, ...silent }),
      /texts\[1\] must be a string, got number 5/,
    ],
    [
      () => trainBpeTokenizer(['a'], { vocabSize: 300, minFrequency: Number.NaN, ...silent }),
      /minFrequency must be an integer >= 1/,
    ],
    [
      () => trainBpeTokenizer(['a'], { vocabSize: 300, specialTokens: ['<a>', '<a>'], ...silent }),
      /specialTokens\[1\] "<a>" is given twice/,
    ],
    [
      () => trainBpeTokenizer(['a'], { vocabSize: 300, specialTokens: [''], ...silent }),
      /specialTokens\[0\] must be a non-empty string/,
    ],
    [
      () => trainBpeTokenizer(['a'], { vocabSize: 300, eosToken: '<eos>', ...silent }),
      /eosToken "<eos>" is not one of the special tokens/,
    ],
    [() => trainBpeTokenizer(['a'], { vocabSize: '300' as never, ...silent }), /vocabSize "300" must be an integer/],
    [() => trainBpeTokenizer(['a'], null as never), /options must be an object with vocabSize/],
  ])('%#', (call, message) => {
    expect(call).toThrow(message);
  });
});

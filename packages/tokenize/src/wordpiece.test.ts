import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { tokenToChars, tokenToWord, wordToTokens } from './encoding-maps.js';
import { buildDecoder } from './decoder.js';
import { buildNormalizer } from './normalizer.js';
import { bertLikeTemplate } from './test-util/bert-template.test-util.js';
import { MULTILINGUAL, mathTexts, randomUnicode, seededRandom } from './test-util/corpus.test-util.js';
import { expectSameIds } from './test-util/hf-parity.test-util.js';
import { Tokenizer } from './tokenizer.js';
import type { TokenizerJson } from './tokenizer-json.js';
import { WordPieceModel } from './wordpiece-model.js';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** bert-base-uncased's tokenizer.json around a vocabulary (the specials first, as BERT's). */
function bertJson(words: string[], extra: Partial<TokenizerJson> = {}): TokenizerJson {
  const vocab: Record<string, number> = {};
  for (const w of [...SPECIALS, ...words]) if (!(w in vocab)) vocab[w] = Object.keys(vocab).length;
  const id = (t: string) => vocab[t]!;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: bertLikeTemplate(['[CLS]', id('[CLS]')], ['[SEP]', id('[SEP]')]),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
    ...extra,
  } as unknown as TokenizerJson;
}

describe('the WordPiece model', () => {
  const model = (vocab: string[], extra: Record<string, unknown> = {}) =>
    new WordPieceModel({
      type: 'WordPiece',
      vocab: Object.fromEntries(['[UNK]', ...vocab].map((t, i) => [t, i])),
      ...extra,
    });
  const pieces = (m: WordPieceModel, word: string) => {
    const w = m.encodeWord(word);
    const n = w.length >> 1;
    return Array.from({ length: n }, (_, i) => [m.idToToken[w[i]!], w[n + i]]);
  };

  it('takes the longest token that begins the word, then the longest ## token of the rest', () => {
    const m = model(['un', 'una', 'unaff', '##aff', '##able', '##a', '##ff', '##ble']);
    expect(pieces(m, 'unaffable')).toEqual([
      ['unaff', 5],
      ['##able', 4],
    ]);
    // Greedy, not best: 'una' + '##ff' + ... is never tried once 'unaff' matched.
    expect(pieces(m, 'unaff')).toEqual([['unaff', 5]]);
    expect(pieces(m, 'una')).toEqual([['una', 3]]);
  });

  it('makes the whole word one unk where a stretch has no token, or where it is too long', () => {
    const m = model(['a', '##b'], { max_input_chars_per_word: 4 });
    expect(pieces(m, 'abb')).toEqual([
      ['a', 1],
      ['##b', 1],
      ['##b', 1],
    ]);
    expect(pieces(m, 'abc')).toEqual([['[UNK]', 3]]);
    expect(pieces(m, 'ba')).toEqual([['[UNK]', 2]]);
    expect(pieces(m, 'abbbb')).toEqual([['[UNK]', 5]]);
    // Lengths count code points: an astral character is one.
    const astral = model(['😀', '##😀', '##x']);
    expect(pieces(astral, '😀😀x')).toEqual([
      ['😀', 1],
      ['##😀', 1],
      ['##x', 1],
    ]);
  });

  it('uses another continuing-subword prefix when the file names one', () => {
    const m = model(['a', '@@b'], { continuing_subword_prefix: '@@' });
    expect(pieces(m, 'ab')).toEqual([
      ['a', 1],
      ['@@b', 1],
    ]);
  });

  it('refuses a file whose unk token is not in the vocabulary, or a bad field, naming it', () => {
    expect(() => Tokenizer.fromJSON(bertJson([], { model: { type: 'WordPiece', vocab: { a: 0 } } } as never))).toThrow(
      'model.unk_token: "[UNK]" is not in model.vocab',
    );
    const bad = bertJson(['a']);
    (bad.model as Record<string, unknown>).max_input_chars_per_word = -1;
    expect(() => Tokenizer.fromJSON(bad, undefined, { file: '/m/tokenizer.json' })).toThrow(
      '/m/tokenizer.json: model.max_input_chars_per_word: expected a non-negative integer, got -1',
    );
    expect(() => Tokenizer.fromJSON(bertJson([], { model: { type: 'Unigram', vocab: [] } } as never))).toThrow(
      'model.type: unsupported type "Unigram" (only BPE and WordPiece models are supported)',
    );
  });
});

describe('the WordPiece decoder', () => {
  const decode = (tokens: string[], cleanup: boolean) =>
    buildDecoder({ type: 'WordPiece', prefix: '##', cleanup })!(tokens).join('');

  it("joins ## pieces to the token before (the reference's wordpiece_decoder test), and cleans each token", () => {
    expect(decode(['##uelo', 'Ara', '##új', '##o', 'No', '##guera'], false)).toBe('##uelo Araújo Noguera');
    // The cleanup works token by token, as the reference's: "' s" stays apart, a token's own " do not" does not.
    expect(decode(['it', "'", 's', 'here', '.', 'do not', "n't"], true)).toBe("it ' s here. don'tn't");
    expect(decode(['it', "'", 's', 'here', '.'], false)).toBe("it ' s here .");
  });
});

describe('BertNormalizer and StripAccents (the reference bindings’ test_normalizers.py)', () => {
  const bert = (options: Record<string, unknown>) => buildNormalizer({ type: 'BertNormalizer', ...options })!;
  const only = { strip_accents: false, lowercase: false, handle_chinese_chars: false, clean_text: false };

  it('each step alone', () => {
    expect(bert({ ...only, strip_accents: true }).normalize('Héllò')).toBe('Hello');
    expect(bert({ ...only, handle_chinese_chars: true }).normalize('你好')).toBe(' 你  好 ');
    expect(bert({ ...only, clean_text: true }).normalize('\ufeffHello')).toBe('Hello');
    expect(bert({ ...only, lowercase: true }).normalize('Héllò')).toBe('héllò');
  });

  it('clean_text removes controls (vertical tab, NEL, U+FFFD, NUL) and makes tab, newline and other white space a space', () => {
    const clean = bert({ ...only, clean_text: true });
    // VT and NEL are controls before they are white space; U+200B is a format character, U+E000 private use.
    expect(clean.normalize('a\tb\nc\r\u00a0d\u3000e\u000bf\u0085g\ufffdh\u0000i\u200bj\ue000k')).toBe(
      'a b c  d efghijk',
    );
    // Defaults (bert-base-uncased): clean, chinese, lowercase, and strip_accents follows lowercase.
    expect(bert({}).normalize('Ĉu 中文 Ǆ')).toBe('cu  中  文  ǆ');
    expect(bert({ strip_accents: null, lowercase: false }).normalize('Ĉu')).toBe('Ĉu');
    expect(buildNormalizer({ type: 'StripAccents' })!.normalize('e\u0301a')).toBe('ea');
  });

  it('keep offsets pointing into the original text', () => {
    const tok = Tokenizer.fromJSON(bertJson(['cafe', 'na', '##ive', '中', '文', 'x']));
    const text = 'Café\u200b NAÏVE 中文x';
    const e = tok.encodeWithOffsets(text, { addSpecialTokens: false });
    expect(e.tokens).toEqual(['cafe', 'na', '##ive', '中', '文', 'x']);
    expect(e.offsets.map(([a, b]) => text.slice(a, b))).toEqual(['Café', 'NA', 'ÏVE', '中', '文', 'x']);
    expect(e.wordIds).toEqual([0, 1, 1, 2, 3, 4]);
  });
});

describe('a BERT tokenizer (WordPiece) end to end', () => {
  const bert = Tokenizer.fromJSON(
    bertJson(['i', 'love', 'hugging', '##face', 'do', 'you', '?', 'yes', '##ter', '##day', 'saw', 'a', 'far', 'away']),
  );

  it("gives the reference bindings' test_encoding.py tokens, and its alignment numbers", () => {
    const single = bert.encodeWithOffsets('I love HuggingFace');
    expect(single.tokens).toEqual(['[CLS]', 'i', 'love', 'hugging', '##face', '[SEP]']);
    const pair = bert.encodeWithOffsets(['I love HuggingFace', 'Do you?']);
    expect(pair.tokens).toEqual(['[CLS]', 'i', 'love', 'hugging', '##face', '[SEP]', 'do', 'you', '?', '[SEP]']);
    expect(pair.sequenceIds).toEqual([null, 0, 0, 0, 0, null, 1, 1, 1, null]);
    expect(wordToTokens(single, 0)).toEqual([1, 2]);
    expect(wordToTokens(pair, 0, 1)).toEqual([6, 7]);
    expect(tokenToChars(single, 2)).toEqual([2, 6]);
    expect(tokenToWord(single, 4)).toBe(2);
    expect(bert.decode(pair.ids, { skipSpecialTokens: true })).toBe('i love huggingface do you?');
    // An unknown word is one [UNK], offsets over the whole word.
    const unk = bert.encodeWithOffsets('I love zebras?', { addSpecialTokens: false });
    expect([unk.tokens, unk.offsets[2]]).toEqual([
      ['i', 'love', '[UNK]', '?'],
      [7, 13],
    ]);
    // maxTokenBytes has no bound: one unk stands for a word of any length.
    expect(bert.maxTokenBytes).toBe(null);
    expect(bert.countTokens('yesterday '.repeat(50))).toBe(152);
  });

  describe('agrees with @huggingface/tokenizers', () => {
    // A vocabulary with whole words, word beginnings and ## endings of a corpus, and every character both ways.
    const corpus = [...mathTexts(150), ...MULTILINGUAL];
    const words = new Map<string, number>();
    for (const text of corpus)
      for (const w of text
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '')
        .split(/[^\p{L}\p{N}]+/u))
        if (w) words.set(w, (words.get(w) ?? 0) + 1);
    const vocab = new Set<string>();
    for (const [w, n] of words) {
      for (const ch of w) vocab.add(ch).add(`##${ch}`);
      if (n > 2) vocab.add(w);
      if (w.length > 4)
        vocab
          .add(w.slice(0, 3))
          .add(`##${w.slice(-3)}`)
          .add(`##${w.slice(3, 5)}`);
    }
    for (const ch of '.,;:!?()[]{}+-*/=^_\\$\'"<>|&%#@~`0123456789') vocab.add(ch);
    const json = bertJson([...vocab]);
    const ours = Tokenizer.fromJSON(json);
    const theirs = new HfTokenizer(json as unknown as Record<string, unknown>, {});
    const random = seededRandom(5);
    const texts = [
      ...corpus,
      ...randomUnicode(random, 200),
      'Héllò wörld, ÇA VA? naïve café',
      '中文字符 and 日本語 mixed',
      'tab\there\nnew\u000bline\u0085nel\u200bzw\ufeffbom\u0000nul\ufffdrepl',
      'a'.repeat(120) + ' ' + 'b'.repeat(99),
      '[MASK] is [CLS] here [SEP]',
    ];

    it(`the same ids for ${texts.length} texts, with and without the special tokens`, () => {
      expectSameIds(ours, theirs, texts);
    });

    it('the same ids and type ids for pairs, and the same decoded text', () => {
      for (let i = 0; i + 1 < texts.length; i += 3) {
        const t = theirs.encode(texts[i]!, { text_pair: texts[i + 1]!, return_token_type_ids: true });
        const e = ours.encodeWithOffsets([texts[i]!, texts[i + 1]!]);
        expect([e.ids, e.typeIds]).toEqual([t.ids, t.token_type_ids]);
        // Theirs then cleans the joined text as transformers' decode does; the reference's decoder cleans each token.
        expect(ours.decode(e.ids, { skipSpecialTokens: true })).toBe(
          theirs.decode(t.ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
        );
      }
    });

    it('offsets that cover what each token stands for in the text', () => {
      for (const text of texts) {
        const e = ours.encodeWithOffsets(text, { addSpecialTokens: false });
        e.offsets.forEach(([a, b], i) => {
          expect(a <= b && b <= text.length).toBe(true);
          const token = e.tokens[i]!;
          if (token === '[UNK]' || SPECIALS.includes(token)) return;
          const shown = text
            .slice(a, b)
            .normalize('NFD')
            .replace(/\p{Mn}/gu, '')
            .toLowerCase();
          // A token holding part of a decomposed character (a Hangul syllable's jamo) spans the whole character.
          expect(shown.includes(token.replace(/^##/, '')), `${JSON.stringify(text.slice(0, 30))} token ${i}`).toBe(
            true,
          );
        });
      }
    });
  });
});

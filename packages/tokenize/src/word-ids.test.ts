import { describe, expect, it } from 'vitest';
import {
  charToToken,
  charToWord,
  tokenToChars,
  tokenToSequence,
  tokenToWord,
  wordToChars,
  wordToTokens,
} from './encoding-maps.js';
import { onigToJsRegex } from './onig-regex.js';
import { QWEN_SPLIT_PATTERN } from './qwen-split.js';
import { chainBpe } from './test-util/chain-bpe.test-util.js';
import { MULTILINGUAL, mathTexts, randomUnicode, seededRandom } from './test-util/corpus.test-util.js';
import { Tokenizer } from './tokenizer.js';
import type { TokenizerJson } from './tokenizer-json.js';

/**
 * BERT's pipeline over a BPE (lowercase, BertPreTokenizer, BertProcessing)
 * whose tokens for the reference's test sentences are WordPiece's (`face` for
 * `##face`): its alignment tests then hold with the same numbers.
 */
function bertLike(): Tokenizer {
  const { vocab, merges } = chainBpe([
    'i',
    'love',
    'hugging',
    'face',
    'do',
    'you',
    '?',
    'yesterday',
    'saw',
    'a',
    'far',
    'away',
  ]);
  const n = Object.keys(vocab).length;
  return Tokenizer.fromJSON({
    version: '1.0',
    added_tokens: [
      { id: n, content: '[CLS]', special: true, normalized: false },
      { id: n + 1, content: '[SEP]', special: true, normalized: false },
      { id: n + 2, content: '[MASK]', special: true, normalized: false },
    ],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', cls: ['[CLS]', n], sep: ['[SEP]', n + 1] },
    decoder: null,
    model: { type: 'BPE', vocab, merges },
  } as unknown as TokenizerJson);
}

describe('word ids', () => {
  it("count the pre-tokenizer's pieces in each text, and an added token is a word (the reference's offsets.rs tests)", () => {
    const tok = bertLike();
    // `split_on_added_tokens_bert`: [MASK] is the fifth word, one token each.
    const input = 'Yesterday I saw a [MASK] far away';
    const e = tok.encodeWithOffsets(input, { addSpecialTokens: false });
    expect(e.tokens).toEqual(['yesterday', 'i', 'saw', 'a', '[MASK]', 'far', 'away']);
    expect(e.wordIds).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(e.offsets).toEqual([
      [0, 9],
      [10, 11],
      [12, 15],
      [16, 17],
      [18, 24],
      [25, 28],
      [29, 33],
    ]);
    // `byte_level_double_sequence` on Qwen3's split (the same pieces, no prefix space):
    // words counted from 0 in each text, type ids 0 then 1.
    const qwen = Tokenizer.qwen3();
    const pair = qwen.encodeWithOffsets(['My name is Anthony', 'What is my name?']);
    expect(pair.wordIds).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 4]);
    expect(pair.offsets).toEqual([
      [0, 2],
      [2, 7],
      [7, 10],
      [10, 18],
      [0, 4],
      [4, 7],
      [7, 10],
      [10, 15],
      [15, 16],
    ]);
    expect(pair.typeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it("give every token of a word that word's id, and the special tokens and pads none", () => {
    const tok = bertLike();
    const e = tok.encodeWithOffsets('I love HuggingFace', { padding: { length: 8, padId: 0 } });
    expect(e.tokens.slice(0, 6)).toEqual(['[CLS]', 'i', 'love', 'hugging', 'face', '[SEP]']);
    expect(e.wordIds).toEqual([null, 0, 1, 2, 2, null, null, null]);
    const left = tok.encodeWithOffsets('I love HuggingFace', { padding: { length: 8, padId: 0, direction: 'left' } });
    expect(left.wordIds).toEqual([null, null, null, 0, 1, 2, 2, null]);
  });

  it('match the pieces of the split regex, with each added token a piece of its own, on Qwen3', () => {
    const qwen = Tokenizer.qwen3();
    const regex = onigToJsRegex(QWEN_SPLIT_PATTERN);
    const random = seededRandom(11);
    const texts = [
      ...MULTILINGUAL,
      ...mathTexts(40),
      ...randomUnicode(random, 60),
      '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nx = 2',
      'a<|endoftext|>b  <|im_end|><|im_end|>  c',
    ];
    const added = /<\|im_start\|>|<\|im_end\|>|<\|endoftext\|>|<think>|<\/think>/g;
    for (const text of texts) {
      // The reference's splits: added tokens first, then the regex's pieces of the rest.
      const pieces: Array<[number, number]> = [];
      let last = 0;
      const rest = (a: number, b: number) => {
        for (const m of text.slice(a, b).matchAll(regex)) pieces.push([a + m.index!, a + m.index! + m[0].length]);
      };
      for (const m of text.matchAll(added)) {
        rest(last, m.index!);
        pieces.push([m.index!, m.index! + m[0].length]);
        last = m.index! + m[0].length;
      }
      rest(last, text.length);
      const e = qwen.encodeWithOffsets(text);
      e.offsets.forEach(([start, end], i) => {
        const word = e.wordIds[i]!;
        const [a, b] = pieces[word]!;
        expect(start >= a && end <= b, `${JSON.stringify(text)}: token ${i}`).toBe(true);
      });
      // Every piece has a token, in order.
      expect(new Set(e.wordIds).size).toBe(pieces.length);
      for (let i = 1; i < e.wordIds.length; i++) expect(e.wordIds[i]! >= e.wordIds[i - 1]!).toBe(true);
    }
  });

  it('count normalized added tokens and the pieces around them, and nothing for removed text', () => {
    const json = (extra: Partial<TokenizerJson>) =>
      ({
        version: '1.0',
        added_tokens: [{ id: 3, content: 'x', special: false, normalized: true }],
        normalizer: { type: 'Lowercase' },
        pre_tokenizer: { type: 'Whitespace' },
        post_processor: null,
        decoder: null,
        model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] },
        ...extra,
      }) as unknown as TokenizerJson;
    // 'X' is found after lowercasing; the spaces Whitespace drops are no words.
    const e = Tokenizer.fromJSON(json({})).encodeWithOffsets('ab Xab  b');
    expect(e.tokens).toEqual(['ab', 'x', 'ab', 'b']);
    expect(e.wordIds).toEqual([0, 1, 2, 3]);
    // Without a pre-tokenizer, each stretch between added tokens is one word.
    const whole = Tokenizer.fromJSON(json({ pre_tokenizer: null })).encodeWithOffsets('abab');
    expect(whole.wordIds).toEqual([0, 0]);
  });

  it('keep their numbers through truncation, from either end', () => {
    const tok = bertLike();
    const right = tok.encodeWithOffsets('do you love a far away face', { truncation: { maxLength: 5 } });
    expect(right.wordIds).toEqual([null, 0, 1, 2, null]);
    const left = tok.encodeWithOffsets('do you love a far away face', {
      truncation: { maxLength: 5, direction: 'left' },
    });
    expect(left.wordIds).toEqual([null, 4, 5, 6, null]);
  });
});

describe('alignment between tokens, words and characters (the reference bindings’ test_encoding.py)', () => {
  const tok = bertLike();
  const single = tok.encodeWithOffsets('I love HuggingFace');
  const pair = tok.encodeWithOffsets(['I love HuggingFace', 'Do you?']);

  it('sequence ids and tokens', () => {
    expect(single.sequenceIds).toEqual([null, 0, 0, 0, 0, null]);
    expect(pair.sequenceIds).toEqual([null, 0, 0, 0, 0, null, 1, 1, 1, null]);
    expect(pair.tokens).toEqual(['[CLS]', 'i', 'love', 'hugging', 'face', '[SEP]', 'do', 'you', '?', '[SEP]']);
  });

  it('wordToTokens', () => {
    expect(wordToTokens(single, 0)).toEqual([1, 2]);
    expect(wordToTokens(pair, 0)).toEqual([1, 2]);
    expect(wordToTokens(pair, 0, 0)).toEqual([1, 2]);
    expect(wordToTokens(pair, 6, 0)).toBe(null);
    expect(wordToTokens(pair, 0, 1)).toEqual([6, 7]);
    expect(wordToTokens(pair, 2)).toEqual([3, 5]);
  });

  it('wordToChars', () => {
    expect(wordToChars(single, 2)).toEqual([7, 18]);
    expect(wordToChars(pair, 2)).toEqual([7, 18]);
    expect(wordToChars(pair, 2, 0)).toEqual([7, 18]);
    expect(wordToChars(pair, 2, 1)).toEqual([6, 7]);
  });

  it('tokenToSequence', () => {
    expect(tokenToSequence(single, 2)).toBe(0);
    expect(tokenToSequence(pair, 2)).toBe(0);
    expect(tokenToSequence(pair, 0)).toBe(null);
    expect(tokenToSequence(pair, 5)).toBe(null);
    expect(tokenToSequence(pair, 6)).toBe(1);
    expect(tokenToSequence(pair, 8)).toBe(1);
    expect(tokenToSequence(pair, 9)).toBe(null);
    expect(tokenToSequence(pair, 1200)).toBe(null);
  });

  it('tokenToChars', () => {
    expect(tokenToChars(single, 0)).toBe(null);
    expect(tokenToChars(single, 2)).toEqual([2, 6]);
    expect(tokenToChars(pair, 2)).toEqual([2, 6]);
    expect(tokenToChars(pair, 5)).toBe(null);
    expect(tokenToChars(pair, 6)).toEqual([0, 2]);
  });

  it('tokenToWord', () => {
    expect(tokenToWord(single, 0)).toBe(null);
    expect(tokenToWord(single, 1)).toBe(0);
    expect(tokenToWord(single, 4)).toBe(2);
    expect(tokenToWord(pair, 1)).toBe(0);
    expect(tokenToWord(pair, 4)).toBe(2);
    expect(tokenToWord(pair, 5)).toBe(null);
    expect(tokenToWord(pair, 6)).toBe(0);
    expect(tokenToWord(pair, 7)).toBe(1);
  });

  it('charToToken', () => {
    expect(charToToken(single, 0)).toBe(1);
    expect(charToToken(pair, 0)).toBe(1);
    expect(charToToken(pair, 0, 0)).toBe(1);
    expect(charToToken(pair, 1, 0)).toBe(null);
    expect(charToToken(pair, 0, 1)).toBe(6);
    expect(charToToken(pair, 2, 1)).toBe(null);
  });

  it('charToWord', () => {
    expect(charToWord(single, 0)).toBe(0);
    expect(charToWord(single, 1)).toBe(null);
    expect(charToWord(pair, 2)).toBe(1);
    expect(charToWord(pair, 2, 0)).toBe(1);
    expect(charToWord(pair, 2, 1)).toBe(null);
    expect(charToWord(pair, 3, 1)).toBe(1);
  });

  it('give null for a text the encoding does not hold, and refuse bad indices naming them', () => {
    expect(wordToTokens(single, 0, 1)).toBe(null);
    expect(charToToken(single, 0, 1)).toBe(null);
    expect(() => tokenToWord(single, -1)).toThrow('tokenToWord: token must be an integer >= 0, got number -1');
    expect(() => wordToTokens(single, 1.5)).toThrow('wordToTokens: word must be an integer >= 0, got number 1.5');
    expect(() => charToWord(single, 0, 2)).toThrow(
      'charToWord: sequence must be 0 (the text) or 1 (the pair), got number 2',
    );
    expect(() => charToToken(single, Number.NaN)).toThrow('charToToken: char must be an integer >= 0, got number NaN');
  });
});

describe('input already split into words (isSplitIntoWords)', () => {
  it("gives each word's tokens its index and offsets into the word (the reference's byte_level_pre_tokenized_sequence)", () => {
    // A RoBERTa-style byte-level BPE (prefix space added to each word) whose merges give the test's tokens.
    const { vocab, merges } = chainBpe(['ĠMy', 'Ġname', 'Ġis', 'ĠAnth', 'on', 'ino']);
    const tok = Tokenizer.fromJSON({
      version: '1.0',
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      post_processor: null,
      decoder: { type: 'ByteLevel' },
      model: { type: 'BPE', vocab, merges },
    } as unknown as TokenizerJson);
    const e = tok.encodeWithOffsets(['My', 'name', 'is', 'Anthonino'], { isSplitIntoWords: true });
    expect(e.tokens).toEqual(['ĠMy', 'Ġname', 'Ġis', 'ĠAnth', 'on', 'ino']);
    expect(e.wordIds).toEqual([0, 1, 2, 3, 3, 3]);
    expect(e.offsets).toEqual([
      [0, 2],
      [0, 4],
      [0, 2],
      [0, 4],
      [4, 6],
      [6, 9],
    ]);
  });

  it('encodes each word as a text of its own, a word the pre-tokenizer splits keeping one index', () => {
    const qwen = Tokenizer.qwen3();
    const words = ['Hello', 'world', "don't", '<|im_end|>', '', '中文'];
    const e = qwen.encodeWithOffsets(words, { isSplitIntoWords: true });
    expect(e.ids).toEqual(words.flatMap((w) => qwen.encode(w)));
    expect(qwen.encode(words, { isSplitIntoWords: true })).toEqual(e.ids);
    const perWord = words.map((w) => qwen.encode(w).length);
    expect(e.wordIds).toEqual(perWord.flatMap((n, w) => new Array<number>(n).fill(w)));
    // Qwen3's split makes "don't" two pieces, both word 2 above. A pair's words count from 0 in each text.
    const bert = bertLike();
    const pair = bert.encodeWithOffsets(
      [
        ['I', 'do'],
        ['you', '?'],
      ],
      { isSplitIntoWords: true },
    );
    expect([pair.tokens, pair.wordIds, pair.typeIds]).toEqual([
      ['[CLS]', 'i', 'do', '[SEP]', 'you', '?', '[SEP]'],
      [null, 0, 1, null, 0, 1, null],
      [0, 0, 0, 0, 1, 1, 1],
    ]);
    expect(wordToTokens(pair, 1, 1)).toEqual([5, 6]);
  });

  it('refuses a text where words are expected, and words where a text is, naming the input', () => {
    const qwen = Tokenizer.qwen3();
    expect(() => qwen.encode('Hello world', { isSplitIntoWords: true })).toThrow(
      'Tokenizer.encode: text must be a list of words, or a [words, pairWords] array of two lists (isSplitIntoWords)',
    );
    expect(() => qwen.encodeBatch([['a', 'b'], 'c'], { isSplitIntoWords: true })).toThrow(
      'Tokenizer.encodeBatch: texts[1] must be a list of words',
    );
    expect(() => qwen.encodeWithOffsets(['a', 'b', 'c'])).toThrow(
      'Tokenizer.encodeWithOffsets: text must be a string, or a [text, pair] array of two strings',
    );
    expect(() => qwen.encode(['a', 3 as never], { isSplitIntoWords: true })).toThrow(
      'Tokenizer.encode: text must be a list of words',
    );
    expect(() => qwen.encode(['a'], { isSplitIntoWords: 'yes' as never })).toThrow(
      'Tokenizer.encode: options.isSplitIntoWords must be a boolean',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { bertLikeTemplate } from './test-util/bert-template.test-util.js';
import { chainBpe } from './test-util/chain-bpe.test-util.js';
import { mathTexts } from './test-util/corpus.test-util.js';
import { Tokenizer, type Encoding } from './tokenizer.js';
import type { TokenizerJson } from './tokenizer-json.js';
import { checkStride, truncationWindows } from './truncation.js';

// Whitespace-split BPE, one token a word (ignore_merges: a word in the vocabulary is its token); [CLS] and [SEP] special, after it.
const { vocab, merges } = chainBpe(['hello', 'there', 'you', 'pair', 'with', 'info', 'a', 'b', 'c', 'd']);
const CLS = Object.keys(vocab).length;
const SEP = CLS + 1;
const json = (post_processor: unknown, extra: Partial<TokenizerJson> = {}) =>
  ({
    version: '1.0',
    added_tokens: [
      { id: CLS, content: '[CLS]', special: true, normalized: false },
      { id: SEP, content: '[SEP]', special: true, normalized: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor,
    decoder: null,
    model: { type: 'BPE', vocab, merges, ignore_merges: true },
    ...extra,
  }) as unknown as TokenizerJson;
const bert = { type: 'BertProcessing', cls: ['[CLS]', CLS], sep: ['[SEP]', SEP] };
const bertTemplate = bertLikeTemplate(['[CLS]', CLS], ['[SEP]', SEP]);

const view = (e: Encoding) => ({ tokens: e.tokens, typeIds: e.typeIds, offsets: e.offsets });

describe('truncationWindows (the reference Encoding.truncate)', () => {
  it("cuts as the reference's own tests do", () => {
    // encoding.rs: `truncate`, `truncate_to_empty`, `truncate_overflow_with_stride`, `truncate_left`.
    expect(truncationWindows(3, 2, 0, 'right')).toEqual([
      [0, 2],
      [2, 3],
    ]);
    expect(truncationWindows(3, 0, 0, 'right')).toEqual([
      [0, 0],
      [0, 3],
    ]);
    expect(truncationWindows(5, 4, 2, 'right')).toEqual([
      [0, 4],
      [2, 5],
    ]);
    expect(truncationWindows(3, 2, 0, 'left')).toEqual([
      [1, 3],
      [0, 1],
    ]);
    // Nothing to cut: one window, whatever the stride.
    expect(truncationWindows(3, 3, 2, 'left')).toEqual([[0, 3]]);
    expect(truncationWindows(0, 0, 0, 'right')).toEqual([[0, 0]]);
  });

  it('cover the text in windows of `keep` that share `stride` tokens with the one before', () => {
    for (let length = 1; length < 24; length++)
      for (let keep = 1; keep < length; keep++)
        for (let stride = 0; stride < keep; stride++)
          for (const direction of ['left', 'right'] as const) {
            const windows = truncationWindows(length, keep, stride, direction);
            expect(windows[0]).toEqual(direction === 'right' ? [0, keep] : [length - keep, length]);
            const covered = new Set<number>();
            windows.forEach(([a, b], i) => {
              expect(b - a <= keep && b > a).toBe(true);
              for (let t = a; t < b; t++) covered.add(t);
              if (i === 0) return;
              const [pa, pb] = windows[i - 1]!;
              // Moving on by keep - stride, so neighbours overlap by exactly the stride.
              if (direction === 'right') expect([a - pa, pb - a]).toEqual([keep - stride, stride]);
              else expect([pb - b, b - pa]).toEqual([keep - stride, stride]);
            });
            expect(covered.size).toBe(length);
            const last = windows[windows.length - 1]!;
            expect(direction === 'right' ? last[1] : last[0]).toBe(direction === 'right' ? length : 0);
          }
  });

  it('refuse a stride that would not move on, naming where it was set', () => {
    expect(() => checkStride([10], [4], 4, 4, () => 'opts.stride')).toThrow(
      'opts.stride 4 must be less than the 4 tokens truncation keeps of the text (its share of the 4 left once the special tokens are counted)',
    );
    expect(() => checkStride([3, 10], [3, 1], 1, 4, () => 's')).toThrow(
      's 1 must be less than the 1 token truncation keeps of the second text',
    );
    // An uncut text, or one cut to nothing, takes any stride (the reference asserts only where it cuts).
    expect(() => checkStride([3, 10], [3, 0], 5, 3, () => 's')).not.toThrow();
  });
});

describe('overflowing windows through the tokenizer', () => {
  it('lay out every window of a single text like the kept one, words and offsets from the text', () => {
    const tok = Tokenizer.fromJSON(json(bert));
    const text = 'a b c d a b';
    const e = tok.encodeWithOffsets(text, { truncation: { maxLength: 5, stride: 1 }, returnOverflowing: true });
    expect(e.tokens).toEqual(['[CLS]', 'a', 'b', 'c', '[SEP]']);
    expect(e.overflowing!.map((o) => o.tokens)).toEqual([
      ['[CLS]', 'c', 'd', 'a', '[SEP]'],
      ['[CLS]', 'a', 'b', '[SEP]'],
    ]);
    const last = e.overflowing![1]!;
    expect(last.wordIds).toEqual([null, 4, 5, null]);
    expect(last.offsets).toEqual([
      [0, 0],
      [8, 9],
      [10, 11],
      [0, 0],
    ]);
    expect(last.specialTokensMask).toEqual([1, 0, 0, 1]);
    expect(last.sequenceIds).toEqual([null, 0, 0, null]);
    expect(last.overflowing).toBeUndefined();
    // The same ids kept whatever the stride, and encode agrees.
    expect(tok.encode(text, { truncation: { maxLength: 5, stride: 2 } })).toEqual(e.ids);
    // Left: windows from the end.
    const left = tok.encodeWithOffsets(text, {
      truncation: { maxLength: 5, stride: 1, direction: 'left' },
      returnOverflowing: true,
    });
    expect([left.tokens, ...left.overflowing!.map((o) => o.tokens)]).toEqual([
      ['[CLS]', 'd', 'a', 'b', '[SEP]'],
      ['[CLS]', 'b', 'c', 'd', '[SEP]'],
      ['[CLS]', 'a', 'b', '[SEP]'],
    ]);
  });

  it("pair windows come in the reference's order (template_processing_overflowing), for Bert and the template alike", () => {
    const expected = {
      main: ['[CLS]', 'hello', 'there', '[SEP]', 'pair', 'with', '[SEP]'],
      overflowing: [
        ['[CLS]', 'you', '[SEP]', 'pair', 'with', '[SEP]'],
        ['[CLS]', 'you', '[SEP]', 'info', '[SEP]'],
        ['[CLS]', 'hello', 'there', '[SEP]', 'info', '[SEP]'],
      ],
    };
    for (const processor of [bert, bertTemplate]) {
      const tok = Tokenizer.fromJSON(json(processor));
      const e = tok.encodeWithOffsets(['hello there you', 'pair with info'], {
        truncation: { maxLength: 7 },
        returnOverflowing: true,
      });
      expect({ main: e.tokens, overflowing: e.overflowing!.map((o) => o.tokens) }).toEqual(expected);
      // The reference test's offsets and type ids (its pair tokens are built with type 0; encode gives them 1).
      expect(view(e.overflowing![1]!)).toEqual({
        tokens: ['[CLS]', 'you', '[SEP]', 'info', '[SEP]'],
        typeIds: [0, 0, 0, 1, 1],
        offsets: [
          [0, 0],
          [12, 15],
          [0, 0],
          [10, 14],
          [0, 0],
        ],
      });
      expect(e.overflowing![2]!.sequenceIds).toEqual([null, 0, 0, null, 1, null]);
    }
    // Without the special tokens the windows are joined bare, in the same order.
    const bare = Tokenizer.fromJSON(json(bert)).encodeWithOffsets(['hello there you', 'pair with info'], {
      truncation: { maxLength: 4 },
      addSpecialTokens: false,
      returnOverflowing: true,
    });
    expect(bare.overflowing!.map((o) => o.tokens)).toEqual([
      ['you', 'pair', 'with'],
      ['you', 'info'],
      ['hello', 'there', 'info'],
    ]);
  });

  it('read a question against a long passage in overlapping windows (only_second with a stride, as for extractive QA)', () => {
    const tok = Tokenizer.qwen3();
    const question = 'What is the sum of the roots?';
    const passage = mathTexts(30).join('\n');
    const maxLength = 96;
    const stride = 24;
    const e = tok.encodeWithOffsets([question, passage], {
      truncation: { maxLength, stride, strategy: 'only_second' },
      returnOverflowing: true,
      padding: { padId: 0 },
    });
    const full = tok.encodeWithOffsets([question, passage]);
    const questionIds = tok.encode(question);
    const passageTokens = full.ids.length - questionIds.length;
    const windows = [e, ...e.overflowing!];
    const keep = maxLength - questionIds.length;
    expect(windows.length).toBe(Math.ceil((passageTokens - stride) / (keep - stride)));
    let start = 0;
    windows.forEach((w, i) => {
      // Every window: the whole question, then a stretch of the passage; padded to the first's length.
      expect(w.ids.length).toBe(maxLength);
      expect(w.ids.slice(0, questionIds.length)).toEqual(questionIds);
      const inPassage = w.sequenceIds.flatMap((s, j) => (s === 1 ? [j] : []));
      const ids = inPassage.map((j) => w.ids[j]);
      expect(ids).toEqual(full.ids.slice(questionIds.length + start, questionIds.length + start + ids.length));
      // Offsets and words still point into the passage.
      for (const j of inPassage) {
        const k = questionIds.length + start + inPassage.indexOf(j);
        expect(w.offsets[j]).toEqual(full.offsets[k]);
        expect(w.wordIds[j]).toBe(full.wordIds[k]);
      }
      if (i < windows.length - 1) expect(ids.length).toBe(keep);
      else expect(start + ids.length).toBe(passageTokens);
      start += keep - stride;
    });
  });

  it('pad the windows with the encoding, and to the batch', () => {
    const pad = vocab['you']!;
    const tok = Tokenizer.fromJSON(
      json(bert, { padding: { strategy: 'BatchLongest', pad_id: pad, pad_token: 'you' } }),
    );
    const [long, short] = tok.encodeBatchWithOffsets(['a b c d a', 'a'], {
      truncation: { maxLength: 5 },
      returnOverflowing: true,
      padding: true,
    });
    const [a, d] = [vocab['a']!, vocab['d']!];
    expect(long!.overflowing!.map((o) => [o.ids, o.attentionMask, o.wordIds])).toEqual([
      [
        [CLS, d, a, SEP, pad],
        [1, 1, 1, 1, 0],
        [null, 3, 4, null, null],
      ],
    ]);
    expect(short!.ids).toEqual([CLS, a, SEP, pad, pad]);
    expect(short!.overflowing).toEqual([]);
  });

  it("take tokenizer.json's stride, and name it when it cannot move on", () => {
    const withStride = (stride: number) =>
      Tokenizer.fromJSON(
        json(bert, { truncation: { max_length: 5, stride, strategy: 'LongestFirst', direction: 'Right' } }),
        undefined,
        { file: '/m/tokenizer.json' },
      );
    const e = withStride(2).encodeWithOffsets('a b c d a b', { returnOverflowing: true });
    expect(e.overflowing!.map((o) => o.tokens.slice(1, -1))).toEqual([
      ['b', 'c', 'd'],
      ['c', 'd', 'a'],
      ['d', 'a', 'b'],
    ]);
    expect(() => withStride(3).encode('a b c d a b')).toThrow(
      '/m/tokenizer.json: truncation.stride 3 must be less than the 3 tokens truncation keeps of the text',
    );
    // Nothing cut: any stride.
    expect(withStride(3).encode('a b')).toEqual([CLS, vocab['a'], vocab['b'], SEP]);
  });

  it('refuse bad options, naming them', () => {
    const tok = Tokenizer.fromJSON(json(bert));
    expect(() => tok.encode('a b', { returnOverflowing: true })).toThrow(
      'Tokenizer.encode: options.returnOverflowing needs encodings to put the windows in; use encodeWithOffsets or encodeBatchWithOffsets',
    );
    expect(() => tok.encodeBatch(['a'], { returnOverflowing: true })).toThrow(
      'Tokenizer.encodeBatch: options.returnOverflowing',
    );
    expect(() => tok.encodeWithOffsets('a', { returnOverflowing: 1 as never })).toThrow(
      'Tokenizer.encodeWithOffsets: options.returnOverflowing must be a boolean, got number 1',
    );
    expect(() => tok.encodeWithOffsets('a', { truncation: { maxLength: 4, stride: -1 } })).toThrow(
      'Tokenizer.encodeWithOffsets: options.truncation.stride must be an integer >= 0, got number -1',
    );
    expect(() =>
      tok.encodeWithOffsets(['a b c', 'd'], { truncation: { maxLength: 5, stride: 1 }, returnOverflowing: true }),
    ).toThrow(
      'Tokenizer.encodeWithOffsets: options.truncation.stride 1 must be less than the 1 token truncation keeps of the first text',
    );
    // Asked for but nothing cut: an empty list; not asked for: no field.
    expect(tok.encodeWithOffsets('a', { returnOverflowing: true }).overflowing).toEqual([]);
    expect('overflowing' in tok.encodeWithOffsets('a', { truncation: { maxLength: 3 } })).toBe(false);
  });
});

import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { bertLikeTemplate, piece } from './test-util/bert-template.test-util.js';
import { MULTILINGUAL, mathTexts } from './test-util/corpus.test-util.js';
import { Tokenizer } from './tokenizer.js';
import type { TokenizerJson } from './tokenizer-json.js';
import { trainBpeTokenizer } from './trainer.js';
import { truncatedLengths } from './truncation.js';

// Whitespace-split BPE: 'ab' -> 2, 'c' -> 3; [CLS] 4, [SEP] 5, [PAD] 6 are special added tokens.
const words = (post_processor: unknown, extra: Partial<TokenizerJson> = {}) =>
  ({
    version: '1.0',
    added_tokens: [
      { id: 4, content: '[CLS]', special: true, normalized: false },
      { id: 5, content: '[SEP]', special: true, normalized: false },
      { id: 6, content: '[PAD]', special: true, normalized: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor,
    decoder: null,
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, c: 3 }, merges: ['a b'] },
    ...extra,
  }) as unknown as TokenizerJson;

const bert = { type: 'BertProcessing', cls: ['[CLS]', 4], sep: ['[SEP]', 5] };
const roberta = { type: 'RobertaProcessing', cls: ['[CLS]', 4], sep: ['[SEP]', 5], trim_offsets: true };
const bertTemplate = bertLikeTemplate(['[CLS]', 4], ['[SEP]', 5]);
const specialTokens = bertTemplate.special_tokens;

describe('truncatedLengths (the reference truncate_encodings)', () => {
  it("longest_first keeps the reference's own table at max_length 7", () => {
    // truncation.rs's test `truncate_encodings_longest_first`: lengths 0, 2, 4, 8 in every pairing.
    const sizes = [0, 2, 4, 8];
    const expected = [
      [
        [0, 0],
        [0, 2],
        [0, 4],
        [0, 7],
      ],
      [
        [2, 0],
        [2, 2],
        [2, 4],
        [2, 5],
      ],
      [
        [4, 0],
        [4, 2],
        [3, 4],
        [3, 4],
      ],
      [
        [7, 0],
        [5, 2],
        [4, 3],
        [3, 4],
      ],
    ];
    sizes.forEach((n1, i) =>
      sizes.forEach((n2, j) =>
        expect(truncatedLengths([n1, n2], 7, 'longest_first', () => 's')).toEqual(expected[i][j]),
      ),
    );
    // max_length 0 empties both (`truncate_encodings_empty`); a single text is cut to the limit.
    expect(truncatedLengths([2, 4], 0, 'longest_first', () => 's')).toEqual([0, 0]);
    expect(truncatedLengths([8, 8], 0, 'only_first', () => 's')).toEqual([0, 0]);
    expect(truncatedLengths([9], 4, 'longest_first', () => 's')).toEqual([4]);
    expect(truncatedLengths([3], 4, 'only_second', () => 's')).toEqual([3]);
  });

  it('only_first / only_second cut that text alone, and fail as the reference where they cannot', () => {
    expect(truncatedLengths([5, 3], 6, 'only_first', () => 's')).toEqual([3, 3]);
    expect(truncatedLengths([5, 3], 6, 'only_second', () => 's')).toEqual([5, 1]);
    expect(truncatedLengths([9], 6, 'only_first', () => 's')).toEqual([6]);
    expect(() => truncatedLengths([2, 8], 6, 'only_first', () => 'opts "only_first"')).toThrow(
      'opts "only_first" must remove 4 tokens from the first text, which has 2',
    );
    expect(() => truncatedLengths([8, 2], 7, 'only_second', () => 'x')).toThrow(
      'x must remove 3 tokens from the second text, which has 2',
    );
    expect(() => truncatedLengths([8], 7, 'only_second', () => 'x')).toThrow(
      'x truncates the second text of a pair, and this single text has 8 tokens over the 7 it may keep',
    );
  });

  it('never keeps more than the limit or than a text has, and longest_first keeps as much as it may', () => {
    for (let n1 = 0; n1 < 14; n1++)
      for (let n2 = 0; n2 < 14; n2++)
        for (let max = 1; max < 16; max++) {
          const [k1, k2] = truncatedLengths([n1, n2], max, 'longest_first', () => 's') as [number, number];
          expect(k1 <= n1 && k2 <= n2).toBe(true);
          expect(k1 + k2).toBe(Math.min(n1 + n2, max));
          // The shorter text is never cut below the longer one's share.
          if (n1 <= n2) expect(k1 === n1 || k1 <= k2).toBe(true);
        }
  });
});

describe('pair encoding through the post-processors', () => {
  it('BertProcessing: [CLS] A [SEP] B [SEP], type ids 0 then 1 (the reference test, on this vocabulary)', () => {
    const tok = Tokenizer.fromJSON(words(bert));
    expect(tok.encode('ab c')).toEqual([4, 2, 3, 5]);
    const e = tok.encodeWithOffsets(['ab c', 'c']);
    expect(e).toEqual({
      ids: [4, 2, 3, 5, 3, 5],
      tokens: ['[CLS]', 'ab', 'c', '[SEP]', 'c', '[SEP]'],
      offsets: [
        [0, 0],
        [0, 2],
        [3, 4],
        [0, 0],
        [0, 1],
        [0, 0],
      ],
      specialTokensMask: [1, 0, 0, 1, 0, 1],
      attentionMask: [1, 1, 1, 1, 1, 1],
      typeIds: [0, 0, 0, 0, 1, 1],
      sequenceIds: [null, 0, 0, null, 1, null],
      // Words counted in each text: BERT's pre-tokenizer splits 'ab c' in two.
      wordIds: [null, 0, 1, null, 0, null],
    });
    expect(tok.encode(['ab c', 'c'])).toEqual(e.ids);
    // Without the special tokens the texts keep their type ids (the reference: [0, 0, 1]).
    const bare = tok.encodeWithOffsets(['ab c', 'c'], { addSpecialTokens: false });
    expect([bare.ids, bare.typeIds, bare.sequenceIds]).toEqual([
      [2, 3, 3],
      [0, 0, 1],
      [0, 0, 1],
    ]);
    expect([tok.numSpecialTokensToAdd(), tok.numSpecialTokensToAdd(true)]).toEqual([2, 3]);
  });

  it('RobertaProcessing: <s> A </s></s> B </s>, every type id 0', () => {
    const tok = Tokenizer.fromJSON(words(roberta));
    const e = tok.encodeWithOffsets(['ab c', 'c']);
    expect(e.ids).toEqual([4, 2, 3, 5, 5, 3, 5]);
    expect(e.typeIds).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(e.specialTokensMask).toEqual([1, 0, 0, 1, 1, 0, 1]);
    expect(e.sequenceIds).toEqual([null, 0, 0, null, null, 1, null]);
    expect(tok.encodeWithOffsets(['ab c', 'c'], { addSpecialTokens: false }).typeIds).toEqual([0, 0, 0]);
    expect([tok.numSpecialTokensToAdd(), tok.numSpecialTokensToAdd(true)]).toEqual([2, 4]);
  });

  it("TemplateProcessing lays out the pair by its template, the special tokens' ids and tokens as listed", () => {
    const tok = Tokenizer.fromJSON(words(bertTemplate));
    const viaBert = Tokenizer.fromJSON(words(bert));
    for (const input of [
      ['ab c', 'c'],
      ['', 'ab'],
      ['c c', ''],
    ] as Array<[string, string]>)
      for (const addSpecialTokens of [true, false])
        expect(tok.encodeWithOffsets(input, { addSpecialTokens })).toEqual(
          viaBert.encodeWithOffsets(input, { addSpecialTokens }),
        );
    // B before A, a special token of two ids with tokens named its own way, type ids of the template's choosing.
    const odd = Tokenizer.fromJSON(
      words({
        type: 'TemplateProcessing',
        single: [piece('Sequence', 'A', 3)],
        pair: [piece('Sequence', 'B', 2), piece('SpecialToken', 'SEPx2', 7), piece('Sequence', 'A')],
        special_tokens: { SEPx2: { id: 'SEPx2', ids: [5, 5], tokens: ['<sep>', '<sep>'] } },
      }),
    );
    const e = odd.encodeWithOffsets(['ab', 'c']);
    expect([e.ids, e.tokens, e.typeIds, e.sequenceIds]).toEqual([
      [3, 5, 5, 2],
      ['c', '<sep>', '<sep>', 'ab'],
      [2, 7, 7, 0],
      [1, null, null, 0],
    ]);
    expect(odd.encodeWithOffsets('ab').typeIds).toEqual([3]);
    // A template may lay a text out twice; each copy has its own offset pairs.
    const twice = Tokenizer.fromJSON(
      words({ ...bertTemplate, pair: [piece('Sequence', 'A'), piece('Sequence', 'B', 1), piece('Sequence', 'A', 2)] }),
    ).encodeWithOffsets(['ab', 'c']);
    expect([twice.ids, twice.typeIds, twice.offsets]).toEqual([
      [2, 3, 2],
      [0, 1, 2],
      [
        [0, 2],
        [0, 1],
        [0, 2],
      ],
    ]);
    twice.offsets[0]![0] = 9;
    expect(twice.offsets[2]).toEqual([0, 2]);
    // One that keeps only the pair (the reference loads it: its pair check is the builder's, not the file's).
    const onlyB = Tokenizer.fromJSON(words({ ...bertTemplate, pair: [piece('Sequence', 'B', 1)] }));
    const b = onlyB.encodeWithOffsets(['ab', 'c ab']);
    expect([b.ids, b.typeIds, b.sequenceIds, b.offsets]).toEqual([
      [3, 2],
      [1, 1],
      [1, 1],
      [
        [0, 1],
        [2, 4],
      ],
    ]);
    expect(onlyB.encode(['ab', 'c ab'])).toEqual([3, 2]);
    expect([odd.numSpecialTokensToAdd(), odd.numSpecialTokensToAdd(true)]).toEqual([0, 2]);
  });

  it('without a post-processor the texts follow each other, all of type id 0', () => {
    const tok = Tokenizer.fromJSON(words(null));
    const e = tok.encodeWithOffsets(['ab c', 'c ab']);
    expect([e.ids, e.typeIds, e.sequenceIds]).toEqual([
      [2, 3, 3, 2],
      [0, 0, 0, 0],
      [0, 0, 1, 1],
    ]);
    expect(tok.numSpecialTokensToAdd(true)).toBe(0);
  });

  it("Sequence [ByteLevel, TemplateProcessing] (Llama 3's): BOS before each text, the pair's of type 1", () => {
    const tok = Tokenizer.fromJSON(
      words({
        type: 'Sequence',
        processors: [
          { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
          {
            type: 'TemplateProcessing',
            single: [piece('SpecialToken', '[CLS]'), piece('Sequence', 'A')],
            pair: [
              piece('SpecialToken', '[CLS]'),
              piece('Sequence', 'A'),
              piece('SpecialToken', '[CLS]', 1),
              piece('Sequence', 'B', 1),
            ],
            special_tokens: specialTokens,
          },
        ],
      }),
    );
    const e = tok.encodeWithOffsets(['ab', 'c ab']);
    expect([e.ids, e.typeIds]).toEqual([
      [4, 2, 4, 3, 2],
      [0, 0, 1, 1, 1],
    ]);
  });

  it("Qwen3's ByteLevel: the two texts' ids one after the other, type ids 0 then 1, offsets into each text", () => {
    const qwen = Tokenizer.qwen3();
    const pairs: Array<[string, string]> = [
      ['What is 2 + 2?', 'It is 4.'],
      ['  leading', 'trailing  '],
      ['', 'only the pair'],
      ['<|im_start|>user\nhi', '<|im_end|> done'],
      ['héllo wörld 日本語', '🙂 emoji'],
    ];
    expect(qwen.numSpecialTokensToAdd(true)).toBe(0);
    for (const [a, b] of pairs) {
      const first = qwen.encodeWithOffsets(a);
      const second = qwen.encodeWithOffsets(b);
      const e = qwen.encodeWithOffsets([a, b]);
      expect(e.ids).toEqual([...first.ids, ...second.ids]);
      expect(e.offsets).toEqual([...first.offsets, ...second.offsets]);
      expect(e.typeIds).toEqual([...first.ids.map(() => 0), ...second.ids.map(() => 1)]);
      expect(e.sequenceIds).toEqual([...first.ids.map(() => 0), ...second.ids.map(() => 1)]);
      expect(qwen.encode([a, b])).toEqual(e.ids);
      e.offsets.forEach(([s, t], i) => {
        const text = e.sequenceIds[i] === 0 ? a : b;
        expect(s <= t && t <= text.length).toBe(true);
      });
    }
    // A batch mixes single texts and pairs; each row is what encoding it alone gives.
    const batch = ['plain', ['q', 'passage'] as [string, string], ''];
    expect(qwen.encodeBatch(batch)).toEqual(batch.map((input) => qwen.encode(input)));
    expect(qwen.encodeBatchWithOffsets(batch)).toEqual(batch.map((input) => qwen.encodeWithOffsets(input)));
  });
});

describe('pairs agree with @huggingface/tokenizers', () => {
  // A trained byte-level vocabulary; '<|im_start|>' and '<|im_end|>' (special added tokens) stand in for CLS and SEP.
  const base = trainBpeTokenizer(mathTexts(120), { vocabSize: 1200, progress: { mode: 'silent' } }).tokenizerJson;
  const ids = new Map((base.added_tokens ?? []).map((t) => [t.content, t.id]));
  const cls: [string, number] = ['<|im_start|>', ids.get('<|im_start|>')!];
  const sep: [string, number] = ['<|im_end|>', ids.get('<|im_end|>')!];
  const template = bertLikeTemplate(cls, sep);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const texts = [...mathTexts(12), ...MULTILINGUAL.slice(0, 6), '', ' ', 'x<|im_end|>y'];
  // Theirs takes an empty pair for no pair (the reference encodes it as an empty second text): none here.
  const pairs = texts.flatMap((a, i) =>
    texts.filter((b, j) => b !== '' && (i * 7 + j) % 5 === 0).map((b) => [a, b] as [string, string]),
  );

  // Not compared: their Roberta gives the pair type id 1 where the reference gives 0, and their ByteLevel
  // post-processor drops the pair (the Qwen3 test above checks ours against the texts encoded alone).
  const processors: Record<string, unknown> = {
    BertProcessing: { type: 'BertProcessing', cls, sep },
    TemplateProcessing: template,
    'Sequence [ByteLevel, TemplateProcessing]': { type: 'Sequence', processors: [byteLevel, template] },
  };
  for (const [name, post_processor] of Object.entries(processors)) {
    it(`${name}: the same ids and type ids for ${pairs.length} pairs, with and without the special tokens`, () => {
      const json = { ...structuredClone(base), post_processor } as unknown as TokenizerJson;
      const ours = Tokenizer.fromJSON(json);
      const hf = new HfTokenizer(json as unknown as Record<string, unknown>, {});
      for (const [a, b] of pairs)
        for (const add_special_tokens of [true, false]) {
          const theirs = hf.encode(a, { text_pair: b, add_special_tokens, return_token_type_ids: true });
          const e = ours.encodeWithOffsets([a, b], { addSpecialTokens: add_special_tokens });
          expect(e.ids, JSON.stringify([a.slice(0, 30), b.slice(0, 30)])).toEqual(theirs.ids);
          expect(e.typeIds).toEqual(theirs.token_type_ids);
        }
    });
  }
});

describe('pair truncation and padding', () => {
  const tok = Tokenizer.fromJSON(words(bert));
  const pair: [string, string] = ['ab c ab', 'c ab c'];

  it('truncation leaves room for the special tokens of a pair and cuts by the strategy and direction', () => {
    // 6 ids in all, 3 of them special: 3 for the texts, longest_first gives them 1 and 2.
    expect(tok.encode(pair, { truncation: { maxLength: 6 } })).toEqual([4, 2, 5, 3, 2, 5]);
    expect(tok.encode(pair, { truncation: { maxLength: 6, direction: 'left' } })).toEqual([4, 2, 5, 2, 3, 5]);
    expect(tok.encode(pair, { truncation: { maxLength: 7, strategy: 'only_first' } })).toEqual([4, 2, 5, 3, 2, 3, 5]);
    expect(tok.encode(pair, { truncation: { maxLength: 7, strategy: 'only_second' } })).toEqual([4, 2, 3, 2, 5, 3, 5]);
    expect(() => tok.encode(pair, { truncation: { maxLength: 6, strategy: 'only_first' } })).toThrow(
      'Tokenizer.encode: options.truncation.strategy "only_first" must remove 3 tokens from the first text, which has 3',
    );
    expect(() => tok.encode('ab c ab', { truncation: { maxLength: 4, strategy: 'only_second' } })).toThrow(
      'Tokenizer.encode: options.truncation.strategy "only_second" truncates the second text of a pair',
    );
    // Without the special tokens nothing is set aside for them.
    expect(tok.encode(pair, { truncation: { maxLength: 4 }, addSpecialTokens: false })).toEqual([2, 3, 3, 2]);
    // The encoding's other fields are cut with the ids.
    const e = tok.encodeWithOffsets(pair, { truncation: { maxLength: 6 } });
    expect([e.tokens, e.typeIds, e.sequenceIds]).toEqual([
      ['[CLS]', 'ab', '[SEP]', 'c', 'ab', '[SEP]'],
      [0, 0, 0, 1, 1, 1],
      [null, 0, null, 1, 1, null],
    ]);
  });

  it("follows tokenizer.json's truncation strategy, and names the file where it fails", () => {
    const json = words(bert, { truncation: { max_length: 6, strategy: 'OnlySecond', direction: 'Right' } });
    const fromFile = Tokenizer.fromJSON(json, undefined, { file: '/m/tokenizer.json' });
    expect(fromFile.encode(['ab', 'c ab c'])).toEqual([4, 2, 5, 3, 2, 5]);
    expect(() => fromFile.encode(['ab c ab', 'c'])).toThrow(
      '/m/tokenizer.json: truncation.strategy "OnlySecond" must remove 1 token from the second text, which has 1',
    );
  });

  it("pads pairs with the pad type id (tokenizer.json's pad_type_id, or the option's)", () => {
    const padded = Tokenizer.fromJSON(
      words(bert, {
        padding: {
          strategy: 'BatchLongest',
          direction: 'Right',
          pad_to_multiple_of: null,
          pad_id: 6,
          pad_type_id: 2,
          pad_token: '[PAD]',
        },
      }),
    );
    const [p, s] = padded.encodeBatchWithOffsets([['ab', 'c'], 'c'], { padding: true });
    expect([p.ids, p.typeIds]).toEqual([
      [4, 2, 5, 3, 5],
      [0, 0, 0, 1, 1],
    ]);
    expect([s.ids, s.typeIds, s.sequenceIds, s.attentionMask]).toEqual([
      [4, 3, 5, 6, 6],
      [0, 0, 0, 2, 2],
      [null, 0, null, null, null],
      [1, 1, 1, 0, 0],
    ]);
    const [, left] = padded.encodeBatchWithOffsets([['ab', 'c'], 'c'], {
      padding: { direction: 'left', padTypeId: 0 },
    });
    expect([left.ids, left.typeIds]).toEqual([
      [6, 6, 4, 3, 5],
      [0, 0, 0, 0, 0],
    ]);
    expect(padded.encodeBatch([['ab', 'c'], 'c'], { padding: true })).toEqual([
      [4, 2, 5, 3, 5],
      [4, 3, 5, 6, 6],
    ]);
  });
});

describe('pair errors', () => {
  it('refuses inputs that are neither a text nor a [text, pair], naming where', () => {
    const tok = Tokenizer.fromJSON(words(bert));
    expect(() => tok.encode(['ab'] as unknown as string)).toThrow(
      'Tokenizer.encode: text must be a string, or a [text, pair] array of two strings, got',
    );
    expect(() => tok.encode(['ab', 3] as unknown as [string, string])).toThrow(
      'Tokenizer.encode: text[1] must be a string, got number 3',
    );
    expect(() => tok.encodeBatch(['ab', ['c', null]] as unknown as string[])).toThrow(
      'Tokenizer.encodeBatch: texts[1][1] must be a string, got null',
    );
    expect(() => tok.encode('ab', { truncation: { maxLength: 3, strategy: 'longest' as never } })).toThrow(
      'Tokenizer.encode: options.truncation.strategy must be one of "longest_first", "only_first", "only_second", got "longest"',
    );
    expect(() => tok.encode('ab', { padding: { padId: 6, padTypeId: -1 } })).toThrow(
      'Tokenizer.encode: options.padding.padTypeId must be an integer >= 0, got number -1',
    );
    expect(() => tok.numSpecialTokensToAdd('yes' as never)).toThrow(
      'Tokenizer.numSpecialTokensToAdd: pair must be a boolean, got "yes"',
    );
  });

  it('a template without a pair loads and fails only on a pair; a broken template fails at load, naming the field', () => {
    const single = { ...bertTemplate, pair: undefined };
    const tok = Tokenizer.fromJSON(words(single), undefined, { file: '/t/tokenizer.json' });
    expect(tok.encode('ab')).toEqual([4, 2, 5]);
    expect(() => tok.encode(['ab', 'c'])).toThrow(
      '/t/tokenizer.json: post_processor.pair: missing: this tokenizer has no template for a pair of texts',
    );
    expect(() => Tokenizer.fromJSON(words({ ...bertTemplate, single: [piece('Sequence', 'B')] }))).toThrow(
      'post_processor.single[0]: the single-text template names sequence B, which a single text does not have',
    );
    expect(() =>
      Tokenizer.fromJSON(words({ ...bertTemplate, pair: [piece('Sequence', 'A'), piece('SpecialToken', '[X]')] })),
    ).toThrow('post_processor.special_tokens.[X]: missing or without ids');
    expect(() => Tokenizer.fromJSON(words({ ...bertTemplate, pair: [piece('Sequence', 'C')] }))).toThrow(
      'post_processor.pair[0].Sequence.id: expected "A" or "B", got "C"',
    );
    expect(() => Tokenizer.fromJSON(words({ ...bertTemplate, pair: [piece('Sequence', 'A', -1)] }))).toThrow(
      'post_processor.pair[0].type_id: expected a non-negative integer, got -1',
    );
    expect(() => Tokenizer.fromJSON(words({ ...bert, sep: ['[SEP]'] }))).toThrow(
      'post_processor.sep: expected [token, id], got ["[SEP]"]',
    );
  });
});

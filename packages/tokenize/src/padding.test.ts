import { describe, expect, it } from 'vitest';
import { Tokenizer } from './tokenizer.js';
import type { PaddingJson } from './tokenizer-json.js';

// 'ab' -> [2], 'abcab' -> [2, 4, 2], 'c' -> [4]; id 5 is the special '<s>', 6 the added '<pad>'.
const tiny = (padding?: PaddingJson) => ({
  version: '1.0',
  added_tokens: [
    { id: 5, content: '<s>', special: true, normalized: false },
    { id: 6, content: '<pad>', special: true, normalized: false },
  ],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
  post_processor: null,
  decoder: { type: 'ByteLevel' },
  model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, Ġ: 3, c: 4 }, merges: ['a b'] },
  ...(padding ? { padding } : {}),
});

/** The reference's PaddingParams, as tokenizer.json writes them. */
const params = (over: Partial<PaddingJson> = {}): PaddingJson => ({
  strategy: 'BatchLongest',
  direction: 'Right',
  pad_to_multiple_of: null,
  pad_id: 5,
  pad_type_id: 0,
  pad_token: '<s>',
  ...over,
});

const texts = ['ab', 'abcab', ''];

describe('padding from tokenizer.json (padding: true)', () => {
  it("pads the batch to its longest on the json's side with the json's pad id", () => {
    const tok = Tokenizer.fromJSON(tiny(params()));
    expect(tok.encodeBatch(texts, { padding: true })).toEqual([
      [2, 5, 5],
      [2, 4, 2],
      [5, 5, 5],
    ]);
    const left = Tokenizer.fromJSON(tiny(params({ direction: 'Left' })));
    expect(left.encodeBatch(texts, { padding: true })).toEqual([
      [5, 5, 2],
      [2, 4, 2],
      [5, 5, 5],
    ]);
  });

  it('rounds the length up to pad_to_multiple_of (0: no rounding), as pad_encodings does', () => {
    const four = Tokenizer.fromJSON(tiny(params({ pad_to_multiple_of: 4 })));
    expect(four.encodeBatch(texts, { padding: true }).map((r) => r.length)).toEqual([4, 4, 4]);
    // A single text is padded alone: BatchLongest is then its own length, rounded.
    expect(four.encode('abcab', { padding: true })).toEqual([2, 4, 2, 5]);
    expect(four.encode('', { padding: true })).toEqual([]);
    const zero = Tokenizer.fromJSON(tiny(params({ pad_to_multiple_of: 0 })));
    expect(zero.encodeBatch(texts, { padding: true }).map((r) => r.length)).toEqual([3, 3, 3]);
  });

  it('pads to a Fixed length and never cuts a longer encoding (truncation does that)', () => {
    const fixed = Tokenizer.fromJSON(tiny(params({ strategy: { Fixed: 2 } })));
    expect(fixed.encodeBatch(texts, { padding: true })).toEqual([
      [2, 5],
      [2, 4, 2],
      [5, 5],
    ]);
    expect(fixed.encode('c', { padding: true })).toEqual([4, 5]);
    // Fixed 7 rounded to a multiple of 8, as the reference's own test of pad_to_multiple_of.
    const rounded = Tokenizer.fromJSON(tiny(params({ strategy: { Fixed: 7 }, pad_to_multiple_of: 8 })));
    expect(rounded.encodeBatch(texts, { padding: true }).map((r) => r.length)).toEqual([8, 8, 8]);
  });

  it('pads after truncation', () => {
    const tok = Tokenizer.fromJSON(tiny(params({ strategy: { Fixed: 4 } })));
    expect(tok.encode('abcab', { truncation: { maxLength: 2 }, padding: true })).toEqual([2, 4, 5, 5]);
    expect(tok.encode('abcab', { truncation: { maxLength: 2, direction: 'left' }, padding: true })).toEqual([
      4, 2, 5, 5,
    ]);
  });

  it('is off unless asked: tokenizer.json padding alone changes nothing, as transformers by default', () => {
    const tok = Tokenizer.fromJSON(tiny(params({ strategy: { Fixed: 8 } })));
    expect(tok.encodeBatch(texts)).toEqual([[2], [2, 4, 2], []]);
    expect(tok.encodeBatch(texts, { padding: false })).toEqual([[2], [2, 4, 2], []]);
    expect(tok.encodeWithOffsets('ab').ids).toEqual([2]);
  });
});

describe('padding options', () => {
  it("override tokenizer.json's choices one by one and keep the rest", () => {
    const tok = Tokenizer.fromJSON(tiny(params({ pad_to_multiple_of: 4 })));
    expect(tok.encodeBatch(texts, { padding: { direction: 'left' } })).toEqual([
      [5, 5, 5, 2],
      [5, 2, 4, 2],
      [5, 5, 5, 5],
    ]);
    expect(tok.encodeBatch(texts, { padding: { padToMultipleOf: 0, padId: 6 } })).toEqual([
      [2, 6, 6],
      [2, 4, 2],
      [6, 6, 6],
    ]);
    expect(tok.encodeBatch(texts, { padding: { length: 5, padToMultipleOf: 0 } }).map((r) => r.length)).toEqual([
      5, 5, 5,
    ]);
  });

  it("take the pad id of tokenizer_config.json's pad_token where tokenizer.json has no padding", () => {
    const tok = Tokenizer.fromJSON(tiny(), { pad_token: '<pad>' });
    expect(tok.encodeBatch(['ab', 'abcab'], { padding: true })).toEqual([
      [2, 6, 6],
      [2, 4, 2],
    ]);
    const e = tok.encodeBatchWithOffsets(['c', 'ab'], { padding: { length: 2 } });
    expect(e.map((x) => x.tokens)).toEqual([
      ['c', '<pad>'],
      ['ab', '<pad>'],
    ]);
  });

  it('pad Qwen3 with its tokenizer_config.json pad_token, <|endoftext|>', () => {
    const qwen = Tokenizer.qwen3();
    const [short, long] = qwen.encodeBatch(['Hi', 'Hello there, world'], { padding: { direction: 'left' } });
    const pad = qwen.tokenToId('<|endoftext|>');
    expect(pad).toBe(151643);
    expect(short.length).toBe(long.length);
    expect(short.slice(-1)).toEqual(qwen.encode('Hi'));
    expect(short.slice(0, -1).every((id) => id === pad)).toBe(true);
  });

  it('refuse padding without a pad id, an id no token has, and malformed options, naming the field', () => {
    const none = Tokenizer.fromJSON(tiny(), undefined, { file: '/m/tokenizer.json' });
    expect(() => none.encodeBatch(texts, { padding: true })).toThrow(
      'Tokenizer.encodeBatch: padding needs a pad id, and this tokenizer names none (tokenizer.json has no padding, ' +
        'tokenizer_config.json no pad_token); pass options.padding.padId',
    );
    expect(none.encodeBatch(['ab', 'c'], { padding: { padId: 3, length: 2 } })).toEqual([
      [2, 3],
      [4, 3],
    ]);
    expect(() => none.encode('ab', { padding: { padId: 9 } })).toThrow(
      'Tokenizer.encode: options.padding.padId 9 is not a token id of this tokenizer (vocabulary size 7)',
    );
    const badJson = Tokenizer.fromJSON(tiny(params({ pad_id: 40 })), undefined, { file: '/m/tokenizer.json' });
    expect(() => badJson.encode('ab', { padding: true })).toThrow(
      'Tokenizer.encode: /m/tokenizer.json: padding.pad_id 40 is not a token id of this tokenizer (vocabulary size 7)',
    );
    const unknownPad = Tokenizer.fromJSON(tiny(), { pad_token: '<nope>' });
    expect(() => unknownPad.encode('ab', { padding: true })).toThrow(
      'Tokenizer.encode: tokenizer_config.json: pad_token "<nope>" is not a token of this tokenizer',
    );
    const tok = Tokenizer.fromJSON(tiny(params()));
    const opts = (o: unknown) => ({ padding: o }) as never;
    expect(() => tok.encode('ab', opts('max_length'))).toThrow(
      'Tokenizer.encode: options.padding must be a boolean or { length?, padToMultipleOf?, direction?, padId?, padTypeId? }, got "max_length"',
    );
    expect(() => tok.encodeBatch(['ab'], opts({ pad_id: 0 }))).toThrow(
      "Tokenizer.encodeBatch: unknown option 'padding.pad_id' (did you mean 'padding.padId'?)",
    );
    expect(() => tok.encode('ab', opts({ length: 'max' }))).toThrow(
      'Tokenizer.encode: options.padding.length must be \'longest\' or an integer >= 0, got "max"',
    );
    expect(() => tok.encode('ab', opts({ padToMultipleOf: -2 }))).toThrow(
      'Tokenizer.encode: options.padding.padToMultipleOf must be an integer >= 0, got number -2',
    );
    expect(() => tok.encode('ab', opts({ direction: 'Left' }))).toThrow(
      'Tokenizer.encode: options.padding.direction must be "left" or "right", got "Left"',
    );
    expect(() => tok.encode('ab', opts({ padId: 1.5 }))).toThrow(
      'Tokenizer.encode: options.padding.padId must be an integer >= 0, got number 1.5',
    );
  });
});

describe('padded encodings', () => {
  it("mark pads with the pad token, offsets [0, 0], special 1 and attention 0, on the padding's side", () => {
    const tok = Tokenizer.fromJSON(tiny(params({ direction: 'Left' })));
    const [short, long] = tok.encodeBatchWithOffsets(['c', 'ab c'], { padding: true });
    expect(long.ids.length).toBe(3);
    expect(short).toEqual({
      ids: [5, 5, 4],
      tokens: ['<s>', '<s>', 'c'],
      offsets: [
        [0, 0],
        [0, 0],
        [0, 1],
      ],
      specialTokensMask: [1, 1, 0],
      attentionMask: [0, 0, 1],
      typeIds: [0, 0, 0],
      sequenceIds: [null, null, 0],
      wordIds: [null, null, 0],
    });
    expect(long.attentionMask).toEqual([1, 1, 1]);
    // Each pad has its own offsets pair.
    short.offsets[0][0] = 9;
    expect(short.offsets[1]).toEqual([0, 0]);
  });

  it('give back the unpadded encodings where the attention mask is 1, and encodeBatch the same ids', () => {
    const tok = Tokenizer.fromJSON(tiny(params({ pad_to_multiple_of: 3 })), { pad_token: '<pad>' });
    const words = ['ab', 'c', 'abc', ' ab', '<s>', 'a b c'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let trial = 0; trial < 50; trial++) {
      const batch = Array.from({ length: 1 + (next() % 5) }, () =>
        Array.from({ length: next() % 6 }, () => words[next() % words.length]).join(''),
      );
      const direction = next() % 2 ? 'left' : 'right';
      const options = { padding: { direction } as const };
      const padded = tok.encodeBatchWithOffsets(batch, options);
      const target = Math.ceil(Math.max(...batch.map((t) => tok.encode(t).length)) / 3) * 3;
      expect(tok.encodeBatch(batch, options)).toEqual(padded.map((e) => e.ids));
      padded.forEach((e, i) => {
        const plain = tok.encodeWithOffsets(batch[i]);
        expect(plain.attentionMask.every((m) => m === 1)).toBe(true);
        expect(e.ids.length).toBe(target);
        const keep = (_: unknown, j: number) => e.attentionMask[j] === 1;
        expect({
          ids: e.ids.filter(keep),
          tokens: e.tokens.filter(keep),
          offsets: e.offsets.filter(keep),
          specialTokensMask: e.specialTokensMask.filter(keep),
          attentionMask: e.attentionMask.filter(keep),
          typeIds: e.typeIds.filter(keep),
          sequenceIds: e.sequenceIds.filter(keep),
          wordIds: e.wordIds.filter(keep),
        }).toEqual(plain);
        const pads = target - plain.ids.length;
        const padAt = direction === 'left' ? e.ids.slice(0, pads) : e.ids.slice(e.ids.length - pads);
        expect(padAt.every((id) => id === 5)).toBe(true);
      });
    }
  });
});

describe('decodeBatch', () => {
  it('decodes each row as decode does; skipSpecialTokens drops special pads', () => {
    const qwen = Tokenizer.qwen3();
    const texts = ['Hi', 'Hello there, world', ''];
    const rows = qwen.encodeBatch(texts, { padding: true });
    expect(qwen.decodeBatch(rows, { skipSpecialTokens: true })).toEqual(texts);
    expect(qwen.decodeBatch(rows)).toEqual(rows.map((r) => qwen.decode(r)));
    expect(qwen.decodeBatch([Int32Array.from(rows[0]!)], { skipSpecialTokens: true })).toEqual(['Hi']);
    expect(qwen.decodeBatch([])).toEqual([]);
  });

  it('names the row and the index of a bad id', () => {
    const tok = Tokenizer.fromJSON(tiny());
    expect(() => tok.decodeBatch([[2], [2, 99]])).toThrow(
      'Tokenizer.decodeBatch: id 99 (at index 1 of rows[1]) is not in the vocabulary of 7',
    );
    expect(() => tok.decodeBatch([[2], ['2' as never]])).toThrow(
      'Tokenizer.decodeBatch: rows[1][0] must be a number, got "2"',
    );
    expect(() => tok.decodeBatch([2] as never)).toThrow(
      'Tokenizer.decodeBatch: rows[0] must be an array or a typed array of ids, got number 2',
    );
    expect(() => tok.decodeBatch('ab' as never)).toThrow(
      'Tokenizer.decodeBatch: rows must be an array of id arrays, got "ab"',
    );
    expect(() => tok.decodeBatch([[2]], { skip_special_tokens: true } as never)).toThrow(
      "Tokenizer.decodeBatch: unknown option 'skip_special_tokens' (did you mean 'skipSpecialTokens'?)",
    );
    expect(() => tok.decode([99])).toThrow('Tokenizer.decode: id 99 (at index 0) is not in the vocabulary of 7');
  });
});

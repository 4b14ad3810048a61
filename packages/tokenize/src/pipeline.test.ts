import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { MULTILINGUAL, mathTexts, randomUnicode, seededRandom } from './test-util/corpus.test-util.js';
import { Tokenizer } from './tokenizer.js';
import type { TokenizerJson } from './tokenizer-json.js';
import { trainBpeTokenizer } from './trainer.js';
import { LLAMA3_SPLIT_PATTERN } from './qwen-split.js';

/**
 * Pipelines other than Qwen's (GPT-2 style ByteLevel with its regex and prefix
 * space, Digits, Lowercase/NFKC normalizers, TemplateProcessing, normalized added
 * tokens) built on a trained vocabulary, compared with @huggingface/tokenizers.
 */
describe('general tokenizer.json pipelines agree with @huggingface/tokenizers', () => {
  const base = trainBpeTokenizer(mathTexts(200), { vocabSize: 1200, progress: { mode: 'silent' } }).tokenizerJson;
  const texts = [
    ...mathTexts(30),
    ...MULTILINGUAL,
    ...randomUnicode(seededRandom(11), 60),
    'Hello  world 12345 ÀÉÎ ﬁ ① <|im_start|>x<|im_end|> HELLO <extra> Ünïcode',
    'a <Foo> b <FOO>c <foo> é e\u0301 ÿ',
    // Latin-1 only (no character past U+02FF): a quick check must not skip NFD here.
    'café naïve Ünïcode ÀÉÎ ÿ',
  ];
  const variants: Record<string, (j: TokenizerJson) => void> = {
    'gpt2 byte-level with regex and prefix space, BOS/EOS template': (j) => {
      j.normalizer = null;
      j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
      j.post_processor = {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: '<|im_start|>', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '<|im_end|>', type_id: 0 } },
        ],
        pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: {
          '<|im_start|>': { id: '<|im_start|>', ids: [1196], tokens: ['<|im_start|>'] },
          '<|im_end|>': { id: '<|im_end|>', ids: [1197], tokens: ['<|im_end|>'] },
        },
      };
    },
    'Llama 3 split (numbers in groups of three) with a BOS template': (j) => {
      j.pre_tokenizer = {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: LLAMA3_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      };
      j.post_processor = {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [1195], tokens: ['<|endoftext|>'] } },
      };
    },
    'NFKC + lowercase, digits split, byte-level': (j) => {
      j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] };
      j.pre_tokenizer = {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Digits', individual_digits: true },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
        ],
      };
    },
    // The trained pipeline (Qwen's split, byte-level) under NFD: its fast path normalizes too.
    'NFD (precomposed Latin-1 letters decompose)': (j) => {
      j.normalizer = { type: 'NFD' };
    },
    'normalized added token found by its normalized content (NFC + Lowercase)': (j) => {
      j.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }] };
      j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
      j.added_tokens = [
        ...(j.added_tokens ?? []),
        {
          id: 1200,
          content: '<Foo>',
          special: false,
          normalized: true,
          lstrip: false,
          rstrip: false,
          single_word: false,
        },
      ];
    },
    'normalized added token and a Split with a custom regex': (j) => {
      j.added_tokens = [
        ...(j.added_tokens ?? []),
        {
          id: 1200,
          content: '<extra>',
          special: false,
          normalized: true,
          lstrip: true,
          rstrip: false,
          single_word: false,
        },
      ];
      j.pre_tokenizer = {
        type: 'Sequence',
        pretokenizers: [
          // Isolated: @huggingface/tokenizers treats every other behaviour as Isolated (see pre-tokenizer.test.ts).
          { type: 'Split', pattern: { Regex: '\\s+|\\d{1,3}' }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        ],
      };
    },
  };

  for (const [name, mutate] of Object.entries(variants)) {
    it(name, () => {
      const json = structuredClone(base);
      mutate(json);
      const ours = Tokenizer.fromJSON(json);
      const hf = new HfTokenizer(json as unknown as Record<string, unknown>, {});
      for (const t of texts) {
        expect(ours.encode(t), JSON.stringify(t.slice(0, 50))).toEqual(hf.encode(t).ids);
        expect(ours.encodeWithOffsets(t).ids).toEqual(hf.encode(t).ids);
        const ids = ours.encode(t, { addSpecialTokens: false });
        expect(ours.decode(ids), JSON.stringify(t.slice(0, 50))).toBe(hf.decode(ids));
      }
    });
  }
});

describe('sentencepiece-style BPE (Llama 2 layout) agrees with @huggingface/tokenizers', () => {
  const chars = ['▁', 'h', 'e', 'l', 'o', 'w', 'r', 'd', 'a', 'b', 'c', 't', 's', 'n', 'i'];
  const merges = ['▁ h', 'e l', '▁h el', 'l o', '▁hel lo', '▁ w', 'o r', '▁w or', '▁wor l', '▁worl d', 'i n', 's t'];
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  for (const c of chars) vocab[c] ??= Object.keys(vocab).length;
  for (const m of merges) vocab[m.replace(' ', '')] ??= Object.keys(vocab).length;
  const json = {
    version: '1.0',
    added_tokens: [
      { id: 0, content: '<unk>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
      { id: 1, content: '<s>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
      { id: 2, content: '</s>', special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  };

  it('encodes with byte fallback and decodes back', () => {
    const ours = Tokenizer.fromJSON(json);
    const hf = new HfTokenizer(json as unknown as Record<string, unknown>, {});
    for (const t of ['hello world', 'hello  world  ', 'héllo wörld 🙂', 'instant', 'a</s>b', '日本 x']) {
      expect(ours.encode(t), t).toEqual(hf.encode(t).ids);
      const ids = ours.encode(t, { addSpecialTokens: false });
      expect(ours.decode(ids), t).toBe(hf.decode(ids));
      // Prepend runs on every segment between added tokens, so text after "</s>" gains a space, as in the reference.
      expect(ours.decode(ids), t).toBe(t === 'a</s>b' ? 'a</s> b' : t);
    }
    expect(ours.encode('hello world')).toEqual([1, vocab['▁hello'], vocab['▁world']]);
  });

  it("Metaspace prepend_scheme 'first' prepends at the start of the input only, not after an added token", () => {
    const metaspace = {
      ...json,
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
    };
    const ours = Tokenizer.fromJSON(metaspace);
    const hf = new HfTokenizer(metaspace as unknown as Record<string, unknown>, {});
    for (const t of ['hello<s>world', '<s>hello', 'hello world</s> hello', 'world'])
      expect(ours.encode(t, { addSpecialTokens: false }), t).toEqual(hf.encode(t, { add_special_tokens: false }).ids);
    // After an added token the text is not at the input's start: no '▁' in front of 'world'.
    const after = ours.encode('hello<s>world', { addSpecialTokens: false }).slice(2);
    expect(after.map((id) => ours.idToToken(id)).join('')).toBe('world');
  });
});

describe("Punctuation pre-tokenizers split Rust's punctuation (ASCII or Unicode P*), not other symbols", () => {
  it('matches @huggingface/tokenizers on the Qwen3 vocabulary', () => {
    const json = structuredClone(Tokenizer.qwen3().json) as TokenizerJson;
    json.pre_tokenizer = {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Punctuation', behavior: 'Isolated' },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    };
    const ours = Tokenizer.fromJSON(json);
    const hf = new HfTokenizer(json as unknown as Record<string, unknown>, {});
    for (const t of ['30°C', ' ©2024', 'a+b=c', '€5 ~x^y', '«quote» ¿qué?', '½ ✓ 😀!'])
      expect(ours.encode(t), t).toEqual(hf.encode(t).ids);
    // ° is a symbol (So), not punctuation: '°C' stays one piece, where Qwen's vocabulary merges it.
    expect(ours.encode('°C').length).toBe(1);
  });
});

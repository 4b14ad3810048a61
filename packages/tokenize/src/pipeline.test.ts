import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { MULTILINGUAL, mathTexts, randomUnicode, seededRandom } from './test-util/corpus.test-util.js';
import { Tokenizer } from './tokenizer.js';
import type { TokenizerJson } from './tokenizer-json.js';
import { trainBpeTokenizer } from './trainer.js';

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
  ];
  const variants: Record<string, (j: TokenizerJson) => void> = {
    'gpt2 byte-level with regex and prefix space, BOS/EOS template': (j) => {
      j.normalizer = null;
      j.pre_tokenizer = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
      j.post_processor = {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '<|im_start|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|im_end|>', type_id: 0 } }],
        pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: {
          '<|im_start|>': { id: '<|im_start|>', ids: [1196], tokens: ['<|im_start|>'] },
          '<|im_end|>': { id: '<|im_end|>', ids: [1197], tokens: ['<|im_end|>'] },
        },
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
    'normalized added token and a Split with a custom regex': (j) => {
      j.added_tokens = [...(j.added_tokens ?? []), { id: 1200, content: '<extra>', special: false, normalized: true, lstrip: true, rstrip: false, single_word: false }];
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

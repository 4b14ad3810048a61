import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { qwen3ChatTemplate } from './qwen3.js';
import { mathTexts, MULTILINGUAL, PACKAGE_DIR, randomUnicode, seededRandom } from './test-util/corpus.test-util.js';
import { Tokenizer } from './tokenizer.js';
import { trainBpeTokenizer, writeTokenizerFiles } from './trainer.js';

describe('byte-level BPE trainer', () => {
  const trained = trainBpeTokenizer(mathTexts(400), { vocabSize: 2000, minFrequency: 2, progress: { mode: 'silent' } });

  it('fills the vocabulary: 256 bytes, merges, then the special tokens', () => {
    const model = trained.tokenizerJson.model as unknown as { vocab: Record<string, number>; merges: unknown[] };
    expect(Object.keys(model.vocab).length + trained.tokenizerJson.added_tokens!.length).toBe(2000);
    expect(trained.tokenizerJson.added_tokens!.map((t) => [t.content, t.special, t.id])).toEqual([
      ['<|endoftext|>', true, 1995],
      ['<|im_start|>', true, 1996],
      ['<|im_end|>', true, 1997],
      ['<think>', false, 1998],
      ['</think>', false, 1999],
    ]);
    expect(model.merges.length).toBeGreaterThanOrEqual(2000 - 256 - 5);
  });

  it('writes a tokenizer.json that @huggingface/tokenizers and this loader encode identically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'molrl-bpe-'));
    writeTokenizerFiles(dir, trained);
    const ours = Tokenizer.fromFile(dir);
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    const hf = new HfTokenizer(json, config);
    const corpus = JSON.parse(readFileSync(join(PACKAGE_DIR, 'fixtures', 'parity-corpus.json'), 'utf8')) as Array<{
      text: string;
    }>;
    const texts = [...corpus.map((e) => e.text), ...MULTILINGUAL, ...randomUnicode(seededRandom(3), 100)];
    for (const t of texts) {
      const ids = ours.encode(t);
      expect(ids, JSON.stringify(t.slice(0, 60))).toEqual(hf.encode(t, { add_special_tokens: false }).ids);
      expect(ours.decode(ids)).toBe(t.normalize('NFC'));
    }
    // Learnt merges compress the training domain.
    const sample = mathTexts(20).join('\n');
    expect(ours.encode(sample).length).toBeLessThan(new TextEncoder().encode(sample).length / 2.5);
    // Chat template and special tokens travel with it.
    const chat = ours.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
    expect(chat).toBe('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    expect(ours.encode(chat).filter((id) => id >= 1995)).toEqual([1996, 1997, 1996]);
  });

  it("uses Qwen3's chat template unless told otherwise", () => {
    expect(trained.tokenizerConfig.chat_template).toBe(qwen3ChatTemplate());
    expect(
      trainBpeTokenizer(['a b'], { vocabSize: 300, chatTemplate: null, progress: { mode: 'silent' } }).tokenizerConfig
        .chat_template,
    ).toBeUndefined();
  });

  it('rejects a vocabulary too small for the bytes and the special tokens', () => {
    expect(() => trainBpeTokenizer(['x'], { vocabSize: 100 })).toThrow(/vocabSize 100/);
  });
});

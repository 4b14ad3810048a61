import type { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { expect } from 'vitest';
import type { Tokenizer } from '../tokenizer.js';

/** Ours and @huggingface/tokenizers give the same ids for each text, with and without the special tokens. */
export function expectSameIds(ours: Tokenizer, theirs: HfTokenizer, texts: readonly string[]): void {
  for (const text of texts)
    for (const add_special_tokens of [true, false])
      expect(ours.encode(text, { addSpecialTokens: add_special_tokens }), JSON.stringify(text.slice(0, 40))).toEqual(
        theirs.encode(text, { add_special_tokens }).ids,
      );
}

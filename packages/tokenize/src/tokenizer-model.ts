/**
 * The model of tokenizer.json (its `model` field): what turns one
 * pre-tokenized word into ids. BPE and WordPiece are supported.
 */
import { BpeModel } from './bpe-model.js';
import { UnsupportedComponentError } from './errors.js';
import type { ComponentJson } from './tokenizer-json.js';
import { WordPieceModel } from './wordpiece-model.js';

/** An encoded word: ids[0..n) then, in [n..2n), each token's length in initial symbols. */
export type EncodedWord = Int32Array;

export interface TokenizerModel {
  readonly vocab: Map<string, number>;
  readonly idToToken: string[];
  /** The unk token's id, -1 without one. */
  readonly unkId: number;
  /** Each byte's token id when the vocabulary has all 256 byte-level characters (the fast path), else null. */
  readonly byteToId: Int32Array | null;
  readonly vocabSize: number;
  /** Whether one unk token can stand for a stretch of input of any length (no bound on bytes per token). */
  readonly unkSpansRuns: boolean;
  /** One word of text; the symbols the lengths count are its code points. */
  encodeWord(word: string): EncodedWord;
  /** One word, text[start, end), as the ByteLevel pre-tokenizer gives it; the symbols are its UTF-8 bytes. */
  encodeByteLevelWord(text: string, start: number, end: number): EncodedWord;
}

export function buildModel(json: ComponentJson, options: { cacheSize?: number; file?: string } = {}): TokenizerModel {
  switch (json.type) {
    case 'BPE':
      return new BpeModel(json, options);
    case 'WordPiece':
      return new WordPieceModel(json, options);
    default:
      throw new UnsupportedComponentError(
        'model.type',
        json.type,
        options.file,
        'only BPE and WordPiece models are supported',
      );
  }
}

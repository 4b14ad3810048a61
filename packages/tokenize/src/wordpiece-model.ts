/**
 * The WordPiece model of tokenizer.json (BERT and its family), as the
 * reference library applies it to one pre-tokenized word: the longest
 * vocabulary token that begins the word, then the longest that begins what is
 * left, written with the continuing-subword prefix (`##`), and so on; a word
 * with a stretch no token begins, or longer than `max_input_chars_per_word`
 * characters, is one unk token.
 */
import { toByteLevel } from './byte-level.js';
import { TokenizerFormatError } from './errors.js';
import { expectInteger, expectString, type ComponentJson } from './tokenizer-json.js';
import type { EncodedWord, TokenizerModel } from './tokenizer-model.js';
import { readVocabulary } from './vocabulary.js';
import { WordCache } from './word-cache.js';

interface WordPieceJson {
  vocab?: unknown;
  unk_token?: unknown;
  continuing_subword_prefix?: unknown;
  max_input_chars_per_word?: unknown;
}

export class WordPieceModel implements TokenizerModel {
  readonly vocab: Map<string, number>;
  readonly idToToken: string[];
  readonly unkToken: string;
  readonly unkId: number;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  readonly byteToId = null;
  /** A word no token covers, or too long, is one unk token, whatever its length. */
  readonly unkSpansRuns = true;
  private readonly cache: WordCache<EncodedWord>;

  constructor(json: ComponentJson, options: { cacheSize?: number; file?: string } = {}) {
    const file = options.file;
    const m = json as WordPieceJson;
    ({ vocab: this.vocab, idToToken: this.idToToken } = readVocabulary(m.vocab, file));
    // The reference's defaults where the file leaves a field out.
    this.unkToken = m.unk_token === undefined ? '[UNK]' : expectString(m.unk_token, 'model.unk_token', file);
    this.prefix =
      m.continuing_subword_prefix === undefined
        ? '##'
        : expectString(m.continuing_subword_prefix, 'model.continuing_subword_prefix', file);
    this.maxInputCharsPerWord =
      m.max_input_chars_per_word === undefined
        ? 100
        : expectInteger(m.max_input_chars_per_word, 'model.max_input_chars_per_word', file);
    // The reference fails only when a word needs it; a file whose unk token is missing is refused here.
    const unkId = this.vocab.get(this.unkToken);
    if (unkId === undefined)
      throw new TokenizerFormatError('model.unk_token', `"${this.unkToken}" is not in model.vocab`, file);
    this.unkId = unkId;
    this.cache = new WordCache(options.cacheSize ?? 50_000);
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  encodeWord(word: string): EncodedWord {
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const result = this.pieces(word);
    this.cache.set(word, result);
    return result;
  }

  /** The word's UTF-8 bytes as byte-level characters, one symbol each. */
  encodeByteLevelWord(text: string, start: number, end: number): EncodedWord {
    const key = text.slice(start, end);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const result = this.pieces(toByteLevel(key));
    this.cache.set(key, result);
    return result;
  }

  /** Greedy longest-match-first over the word's code points. */
  private pieces(word: string): EncodedWord {
    // Unit index of each code point, and the end.
    const at: number[] = [];
    for (let i = 0; i < word.length; i += word.codePointAt(i)! > 0xffff ? 2 : 1) at.push(i);
    const chars = at.length;
    at.push(word.length);
    if (chars > this.maxInputCharsPerWord) return Int32Array.of(this.unkId, chars);
    const ids: number[] = [];
    const lens: number[] = [];
    for (let start = 0; start < chars;) {
      let end = chars;
      let id: number | undefined;
      for (; end > start; end--) {
        const piece = word.slice(at[start], at[end]);
        id = this.vocab.get(start > 0 ? this.prefix + piece : piece);
        if (id !== undefined) break;
      }
      if (id === undefined) return Int32Array.of(this.unkId, chars);
      ids.push(id);
      lens.push(end - start);
      start = end;
    }
    return Int32Array.from([...ids, ...lens]);
  }
}

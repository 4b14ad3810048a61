/**
 * A model's `vocab` object of tokenizer.json read into token -> id and id ->
 * token, each id checked (an integer >= 0, no two tokens on one id).
 */
import { TokenizerFormatError } from './errors.js';
import { expectInteger, expectObject } from './tokenizer-json.js';

export interface Vocabulary {
  vocab: Map<string, number>;
  idToToken: string[];
}

export function readVocabulary(json: unknown, file: string | undefined): Vocabulary {
  const vocabObj = expectObject(json, 'model.vocab', file);
  const vocab = new Map<string, number>();
  const idToToken: string[] = [];
  for (const tok in vocabObj) {
    const id = vocabObj[tok];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      expectInteger(id, `model.vocab[${JSON.stringify(tok)}]`, file);
    const taken = idToToken[id as number];
    // Two tokens on one id: decoding that id could give either (the reference keeps one silently).
    if (taken !== undefined)
      throw new TokenizerFormatError(
        `model.vocab[${JSON.stringify(tok)}]`,
        `id ${id as number} is already the id of ${JSON.stringify(taken)}`,
        file,
      );
    vocab.set(tok, id as number);
    idToToken[id as number] = tok;
  }
  return { vocab, idToToken };
}

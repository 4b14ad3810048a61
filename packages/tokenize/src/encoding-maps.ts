/**
 * Between tokens, words and characters of an encoding: the reference's
 * `Encoding` alignment methods (transformers' `token_to_word`, `word_to_tokens`,
 * `char_to_token`...), for token classification and extractive answers. A
 * `sequence` (0, or 1 for the pair of a [text, pair]) picks the text a word
 * or character index counts in; characters are UTF-16 units of that text, as
 * the encoding's offsets. Each answers null where the reference answers None:
 * a special token or pad, an index past the end, a word or character that no
 * kept token covers.
 */
import { describeValue } from './describe-value.js';
import type { Encoding } from './tokenizer.js';

function checkIndex(value: number, what: string, where: string): void {
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0))
    throw new TypeError(`${where}: ${what} must be an integer >= 0, got ${describeValue(value)}`);
}

function checkSequence(sequence: number, where: string): void {
  if (sequence !== 0 && sequence !== 1)
    throw new TypeError(`${where}: sequence must be 0 (the text) or 1 (the pair), got ${describeValue(sequence)}`);
}

/** Which text the token came from (0, or 1 for the pair); null for a special token, a pad, or past the end. */
export function tokenToSequence(encoding: Encoding, token: number): number | null {
  checkIndex(token, 'token', 'tokenToSequence');
  return encoding.sequenceIds[token] ?? null;
}

/** The word of its text the token belongs to (see `tokenToSequence` for which text); null as tokenToSequence. */
export function tokenToWord(encoding: Encoding, token: number): number | null {
  checkIndex(token, 'token', 'tokenToWord');
  if (encoding.sequenceIds[token] == null) return null;
  return encoding.wordIds[token] ?? null;
}

/** [start, end) of the token in its text; null as tokenToSequence. */
export function tokenToChars(encoding: Encoding, token: number): [number, number] | null {
  checkIndex(token, 'token', 'tokenToChars');
  if (encoding.sequenceIds[token] == null) return null;
  const [start, end] = encoding.offsets[token]!;
  return [start, end];
}

/** [first, last + 1) of the tokens of a word of the text `sequence`; null where no kept token is of it. */
export function wordToTokens(encoding: Encoding, word: number, sequence = 0): [number, number] | null {
  checkIndex(word, 'word', 'wordToTokens');
  checkSequence(sequence, 'wordToTokens');
  let first = -1;
  let last = -1;
  const { sequenceIds, wordIds } = encoding;
  for (let i = 0; i < wordIds.length; i++) {
    if (sequenceIds[i] !== sequence || wordIds[i] !== word) continue;
    if (first < 0) first = i;
    last = i;
  }
  return first < 0 ? null : [first, last + 1];
}

/** [start, end) of a word of the text `sequence`, from its first token's start to its last's end; null as wordToTokens. */
export function wordToChars(encoding: Encoding, word: number, sequence = 0): [number, number] | null {
  checkIndex(word, 'word', 'wordToChars');
  checkSequence(sequence, 'wordToChars');
  const span = wordToTokens(encoding, word, sequence);
  if (span === null) return null;
  return [encoding.offsets[span[0]]![0], encoding.offsets[span[1] - 1]![1]];
}

/** The first token of the text `sequence` whose offsets hold the character; null where none does. */
export function charToToken(encoding: Encoding, char: number, sequence = 0): number | null {
  checkIndex(char, 'char', 'charToToken');
  checkSequence(sequence, 'charToToken');
  const { sequenceIds, offsets } = encoding;
  for (let i = 0; i < offsets.length; i++) {
    if (sequenceIds[i] !== sequence) continue;
    const [start, end] = offsets[i]!;
    if (char >= start && char < end) return i;
  }
  return null;
}

/** The word of the text `sequence` that holds the character; null as charToToken. */
export function charToWord(encoding: Encoding, char: number, sequence = 0): number | null {
  checkIndex(char, 'char', 'charToWord');
  checkSequence(sequence, 'charToWord');
  const token = charToToken(encoding, char, sequence);
  return token === null ? null : (encoding.wordIds[token] ?? null);
}

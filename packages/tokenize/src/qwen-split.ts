/**
 * A hand-written scanner equivalent to the split regex of Qwen2/Qwen3 (and, with
 * `maxDigits` 3, of Llama 3 / GPT-4's cl100k, whose numbers go in groups of 1-3):
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * as Oniguruma runs it (leftmost alternative wins, greedy with backtracking), with
 * \s = Unicode White_Space and (?i) using Unicode simple case folding (so `'ſ`
 * matches `'s`, as U+017F folds to "s"). Avoiding the general regex engine is the
 * largest single speed-up of encoding. Its equivalence to the regex is tested on
 * random and adversarial strings (qwen-split.test.ts).
 */
import { classAt, skipClass, unitClass, withRoom, type Scanner } from './split-scanner.js';
import { CLASS_ANY_SPACE, CLASS_LETTER, CLASS_NEWLINE, CLASS_NUMBER, CLASS_OTHER } from './unicode-classes.js';

/** The pattern string as it appears in Qwen's tokenizer.json. */
export const QWEN_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The same with numbers in groups of up to three digits (Llama 3, GPT-4's cl100k). */
export const LLAMA3_SPLIT_PATTERN = QWEN_SPLIT_PATTERN.replace('|\\p{N}|', '|\\p{N}{1,3}|');

/** How many digits one number piece may hold, for the patterns the scanner implements; 0 for others. */
export function scannerDigitsFor(pattern: string): number {
  return pattern === QWEN_SPLIT_PATTERN ? 1 : pattern === LLAMA3_SPLIT_PATTERN ? 3 : 0;
}

/** qwenSplit with numbers in groups of up to `maxDigits`, as a Scanner. */
export function qwenScanner(maxDigits: number): Scanner {
  return (text, start, end, ends) => qwenSplit(text, start, end, ends, maxDigits);
}

function isLower(c: number, lower: number): boolean {
  return c === lower || c === lower - 32;
}

/** Length (in UTF-16 units, after the apostrophe) of a contraction at `i`, or 0. */
function contractionLength(text: string, i: number, end: number): number {
  if (i >= end) return 0;
  const a = text.charCodeAt(i);
  if (isLower(a, 0x73) || a === 0x17f || isLower(a, 0x74) || isLower(a, 0x6d) || isLower(a, 0x64)) return 1; // s ſ t m d
  if (i + 1 >= end) return 0;
  const b = text.charCodeAt(i + 1);
  if (isLower(a, 0x72) && isLower(b, 0x65)) return 2; // re
  if (isLower(a, 0x76) && isLower(b, 0x65)) return 2; // ve
  if (isLower(a, 0x6c) && isLower(b, 0x6c)) return 2; // ll
  return 0;
}

/**
 * Split text[start, end) into pieces; writes each piece's end index into `ends`
 * (growing it when needed) and returns [ends, count].
 */
export function qwenSplit(
  text: string,
  start: number,
  end: number,
  ends: Int32Array,
  maxDigits = 1,
): [Int32Array, number] {
  let n = 0;
  let i = start;
  while (i < end) {
    ends = withRoom(ends, n);
    let c = text.charCodeAt(i);
    let w = 1;
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        c = ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        w = 2;
      }
    }
    const k = unitClass(c);
    // 1: contractions
    if (c === 0x27) {
      const len = contractionLength(text, i + 1, end);
      if (len > 0) {
        i += 1 + len;
        ends[n++] = i;
        continue;
      }
    }
    // 2: [^\r\n\p{L}\p{N}]?\p{L}+
    let j = -1;
    if (k === CLASS_LETTER) j = i;
    else if (k !== CLASS_NEWLINE && k !== CLASS_NUMBER && i + w < end && classAt(text, i + w, end) === CLASS_LETTER)
      j = i + w;
    if (j >= 0) {
      j = skipClass(text, j, end, CLASS_LETTER);
      ends[n++] = j;
      i = j;
      continue;
    }
    // 3: \p{N} (or \p{N}{1,maxDigits})
    if (k === CLASS_NUMBER) {
      i += w;
      for (let d = 1; d < maxDigits && i < end && classAt(text, i, end) === CLASS_NUMBER; d++)
        i += text.codePointAt(i)! > 0xffff ? 2 : 1;
      ends[n++] = i;
      continue;
    }
    // 4: ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    j = -1;
    if (k === CLASS_OTHER) j = i;
    else if (c === 0x20 && i + 1 < end && classAt(text, i + 1, end) === CLASS_OTHER) j = i + 1;
    if (j >= 0) {
      j = skipClass(text, j, end, CLASS_OTHER);
      while (j < end) {
        const d = text.charCodeAt(j);
        if (d !== 0x0a && d !== 0x0d) break;
        j++;
      }
      ends[n++] = j;
      i = j;
      continue;
    }
    // 5-7: white space runs (all White_Space code points are in the BMP)
    let runEnd = i;
    let lastNewline = -1;
    while (runEnd < end) {
      const dk = unitClass(text.charCodeAt(runEnd));
      if ((dk & CLASS_ANY_SPACE) === 0) break;
      if (dk === CLASS_NEWLINE) lastNewline = runEnd;
      runEnd++;
    }
    if (lastNewline >= 0)
      j = lastNewline + 1; // \s*[\r\n]+
    else if (runEnd === end || runEnd - i < 2)
      j = runEnd; // \s+(?!\S) to the end, or \s+
    else j = runEnd - 1; // \s+(?!\S): leave the last space to the next word
    ends[n++] = j;
    i = j;
  }
  return [ends, n];
}

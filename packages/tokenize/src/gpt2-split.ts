/**
 * A hand-written scanner equivalent to GPT-2's split regex, the one the
 * ByteLevel pre-tokenizer applies with `use_regex` (GPT-2, RoBERTa, BART, OPT,
 * Phi-2 and others):
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * as Oniguruma runs it (leftmost alternative wins, greedy with backtracking;
 * the contractions are case-sensitive), with \s = Unicode White_Space. Its
 * equivalence to the regex is tested on random and adversarial strings
 * (gpt2-split.test.ts).
 */
import { classAt, skipClass, unitClass, withRoom } from './split-scanner.js';
import { CLASS_ANY_SPACE, CLASS_LETTER, CLASS_NUMBER, CLASS_OTHER } from './unicode-classes.js';

/** The pattern, as the ByteLevel pre-tokenizer of the reference library uses it. */
export const GPT2_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** Length (in UTF-16 units, after the apostrophe) of a lower-case contraction at `i`, or 0. */
function contractionLength(text: string, i: number, end: number): number {
  if (i >= end) return 0;
  const a = text.charCodeAt(i);
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return 1; // s t m d
  if (i + 1 >= end) return 0;
  const b = text.charCodeAt(i + 1);
  if ((a === 0x72 || a === 0x76) && b === 0x65) return 2; // re ve
  if (a === 0x6c && b === 0x6c) return 2; // ll
  return 0;
}

/**
 * Split text[start, end) into pieces; writes each piece's end index into `ends`
 * (growing it when needed) and returns [ends, count].
 */
export function gpt2Split(text: string, start: number, end: number, ends: Int32Array): [Int32Array, number] {
  let n = 0;
  let i = start;
  while (i < end) {
    ends = withRoom(ends, n);
    const c = text.charCodeAt(i);
    const k = classAt(text, i, end);
    // 1: contractions
    if (c === 0x27) {
      const len = contractionLength(text, i + 1, end);
      if (len > 0) {
        i += 1 + len;
        ends[n++] = i;
        continue;
      }
    }
    // 2-4: ' ?' then a run of letters, of numbers, or of other characters (not space, letter or number)
    let j = i;
    let cls = k;
    if (c === 0x20 && i + 1 < end) {
      const next = classAt(text, i + 1, end);
      if (next === CLASS_LETTER || next === CLASS_NUMBER || next === CLASS_OTHER) {
        j = i + 1;
        cls = next;
      }
    }
    if (cls === CLASS_LETTER || cls === CLASS_NUMBER || cls === CLASS_OTHER) {
      j = skipClass(text, j, end, cls);
      ends[n++] = j;
      i = j;
      continue;
    }
    // 5-6: a white space run (all White_Space code points are in the BMP)
    let runEnd = i;
    while (runEnd < end) {
      if ((unitClass(text.charCodeAt(runEnd)) & CLASS_ANY_SPACE) === 0) break;
      runEnd++;
    }
    // \s+(?!\S) leaves the run's last space to the next piece when one follows; \s+ takes a single one.
    j = runEnd === end || runEnd - i < 2 ? runEnd : runEnd - 1;
    ends[n++] = j;
    i = j;
  }
  return [ends, n];
}

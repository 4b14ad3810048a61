/**
 * What the hand-written split scanners (`qwenSplit`, `gpt2Split`) share: their
 * signature, the class of the code point at a position, runs of one class, and
 * the growth of the buffer of piece ends.
 */
import { classOf } from './unicode-classes.js';

/** Splits text[start, end): each piece's end written into `ends` (grown when needed); returns [ends, count]. */
export type Scanner = (text: string, start: number, end: number, ends: Int32Array) => [Int32Array, number];

/** `ends`, or a copy twice as long, with room for a piece after the first `n`. */
export function withRoom(ends: Int32Array, n: number): Int32Array {
  if (n + 1 < ends.length) return ends;
  const bigger = new Int32Array(ends.length * 2 + 16);
  bigger.set(ends);
  return bigger;
}

/** The class of each ASCII code point, the scanners' fast path. */
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII[c] = classOf(c);

/** The class of a code point, or of a UTF-16 unit read alone (a surrogate unit is CLASS_OTHER; every White_Space code point is in the BMP). */
export function unitClass(c: number): number {
  return c < 0x80 ? ASCII[c] : classOf(c);
}

/** The class of the code point at text[i] (a surrogate pair read whole). */
export function classAt(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x80) return ASCII[c];
  if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
    const lo = text.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo < 0xe000) return classOf(((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000);
  }
  return classOf(c);
}

/** Advance past code points of class `cls`. */
export function skipClass(text: string, i: number, end: number, cls: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (ASCII[c] !== cls) break;
      i++;
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < end) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        if (classOf(((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000) !== cls) break;
        i += 2;
        continue;
      }
    }
    if (classOf(c) !== cls) break;
    i++;
  }
  return i;
}

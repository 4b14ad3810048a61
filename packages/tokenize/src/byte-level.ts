/**
 * GPT-2's reversible byte <-> printable character map: bytes that are printable
 * Latin-1 map to themselves, the others to U+0100 onwards, in byte order.
 */
function buildByteToChar(): string[] {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const chars: string[] = new Array(256);
  const kept = new Set(keep);
  for (const b of keep) chars[b] = String.fromCharCode(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (!kept.has(b)) chars[b] = String.fromCharCode(256 + next++);
  }
  return chars;
}

/** byte -> its printable character. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** printable character code -> byte, or -1. */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(512).fill(-1);
  BYTE_TO_CHAR.forEach((ch, b) => (t[ch.charCodeAt(0)] = b));
  return t;
})();

const encoder = new TextEncoder();

/** The byte-level form of a string: each UTF-8 byte as its printable character. */
export function toByteLevel(text: string): string {
  if (typeof text !== 'string') throw new TypeError(`toByteLevel: expected a string, got ${typeof text}`);
  let out = '';
  for (const b of encoder.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** Bytes of a byte-level token, or null when a character is not part of the map. */
export function byteLevelToBytes(token: string): number[] | null {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < 512 ? CHAR_TO_BYTE[c] : -1;
    if (b < 0) return null;
    bytes.push(b);
  }
  return bytes;
}

/**
 * Write the UTF-8 bytes of text[start, end) into `out`, from index 0; returns the
 * byte count. Lone surrogates are written as U+FFFD, as TextEncoder does.
 */
export function utf8Into(text: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c < 0xe000) {
        const lo = i + 1 < end ? text.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && lo >= 0xdc00 && lo < 0xe000) {
          c = ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          i++;
          out[n++] = 0xf0 | (c >> 18);
          out[n++] = 0x80 | ((c >> 12) & 63);
          out[n++] = 0x80 | ((c >> 6) & 63);
          out[n++] = 0x80 | (c & 63);
          continue;
        }
        c = 0xfffd;
      }
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

/**
 * Code point classes the Qwen/GPT-4 style split regex needs: \p{L}, \p{N}, and
 * \s as Oniguruma (the reference library's regex engine) defines it, which is
 * Unicode White_Space: unlike JavaScript's \s it includes U+0085 and excludes U+FEFF.
 * BMP classes are computed once; astral ones lazily.
 */
export const CLASS_OTHER = 1;
export const CLASS_LETTER = 2;
export const CLASS_NUMBER = 4;
/** White_Space other than \r and \n. */
export const CLASS_SPACE = 8;
/** \r or \n (also white space). */
export const CLASS_NEWLINE = 16;
export const CLASS_ANY_SPACE = CLASS_SPACE | CLASS_NEWLINE;

const UNKNOWN = 0;
const table = new Uint8Array(0x110000);

/** Unicode White_Space, which is what Oniguruma's \s matches. */
export function isWhiteSpace(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    cp === 0x20 ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

const LETTER = /\p{L}/u;
const NUMBER = /\p{N}/u;

function computeClass(cp: number): number {
  if (cp === 0x0a || cp === 0x0d) return CLASS_NEWLINE;
  if (isWhiteSpace(cp)) return CLASS_SPACE;
  if (cp >= 0xd800 && cp <= 0xdfff) return CLASS_OTHER;
  const ch = String.fromCodePoint(cp);
  if (LETTER.test(ch)) return CLASS_LETTER;
  if (NUMBER.test(ch)) return CLASS_NUMBER;
  return CLASS_OTHER;
}

function fillBmp(): void {
  // Mark runs with global regexes over one string of every BMP scalar: much faster than 64k tests.
  const units: number[] = [];
  for (let c = 0; c < 0x10000; c++) units.push(c >= 0xd800 && c <= 0xdfff ? 0x20 : c);
  let all = '';
  for (let i = 0; i < units.length; i += 4096) all += String.fromCharCode(...units.slice(i, i + 4096));
  table.fill(CLASS_OTHER, 0, 0x10000);
  for (const [re, cls] of [
    [/\p{L}+/gu, CLASS_LETTER],
    [/\p{N}+/gu, CLASS_NUMBER],
  ] as const) {
    for (const m of all.matchAll(re)) table.fill(cls, m.index!, m.index! + m[0].length);
  }
  for (let c = 0; c < 0x10000; c++) {
    if (isWhiteSpace(c)) table[c] = c === 0x0a || c === 0x0d ? CLASS_NEWLINE : CLASS_SPACE;
  }
  table.fill(CLASS_OTHER, 0xd800, 0xe000);
}
fillBmp();

/** The class of a code point (one of the CLASS_* flags). */
export function classOf(cp: number): number {
  const k = table[cp];
  if (k !== UNKNOWN) return k;
  const c = computeClass(cp);
  table[cp] = c;
  return c;
}

/** Unicode alphanumeric (L or N) or underscore: the reference's word character for `single_word`. */
export function isWordChar(cp: number): boolean {
  return cp === 0x5f || (classOf(cp) & (CLASS_LETTER | CLASS_NUMBER)) !== 0;
}

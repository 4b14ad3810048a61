/**
 * Normalizers of tokenizer.json. Each keeps, when asked, an alignment from every
 * UTF-16 unit of the normalized text back to a span of the original, so token
 * offsets point into the caller's string.
 */
import { TokenizerFormatError, UnsupportedComponentError } from './errors.js';
import { onigToJsRegex } from './onig-regex.js';
import { expectComponent, expectString, optionalBoolean, type ComponentJson } from './tokenizer-json.js';
import { isWhiteSpace } from './unicode-classes.js';

/** Normalized text; starts/ends give each unit's span in the original (null: identity). */
export interface AlignedText {
  text: string;
  starts: Int32Array | null;
  ends: Int32Array | null;
}

export interface Normalizer {
  normalize(text: string): string;
  normalizeAligned(input: AlignedText): AlignedText;
}

function spanOf(input: AlignedText, a: number, b: number): [number, number] {
  if (input.starts === null || input.ends === null) return [a, b];
  if (a >= b)
    return [
      input.starts[Math.min(a, input.starts.length - 1)] ?? 0,
      input.starts[Math.min(a, input.starts.length - 1)] ?? 0,
    ];
  return [input.starts[a], input.ends[b - 1]];
}

/** Rebuild alignment after replacing chunks [a, b) of the input by strings. */
function rebuild(input: AlignedText, chunks: Array<[number, number, string]>): AlignedText {
  let text = '';
  for (const [, , s] of chunks) text += s;
  if (text === input.text) return input;
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  let k = 0;
  for (const [a, b, s] of chunks) {
    if (s.length === b - a) {
      for (let i = 0; i < s.length; i++) {
        const [x, y] = spanOf(input, a + i, a + i + 1);
        starts[k] = x;
        ends[k++] = y;
      }
    } else {
      const [x, y] = spanOf(input, a, b);
      for (let i = 0; i < s.length; i++) {
        starts[k] = x;
        ends[k++] = y;
      }
    }
  }
  return { text, starts, ends };
}

const MARK = /\p{M}/u;

/** Chunks that normalize independently: a code point plus the marks that follow it. */
function unicodeNormalizeAligned(input: AlignedText, form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): AlignedText {
  const whole = input.text.normalize(form);
  if (whole === input.text) return input;
  const chunks: Array<[number, number, string]> = [];
  const t = input.text;
  let i = 0;
  while (i < t.length) {
    let j = i + ((t.codePointAt(i) ?? 0) > 0xffff ? 2 : 1);
    while (j < t.length) {
      const cp = t.codePointAt(j) ?? 0;
      const isJamo = cp >= 0x1160 && cp <= 0x11ff;
      if (!MARK.test(String.fromCodePoint(cp)) && !isJamo) break;
      j += cp > 0xffff ? 2 : 1;
    }
    chunks.push([i, j, t.slice(i, j).normalize(form)]);
    i = j;
  }
  if (chunks.map((c) => c[2]).join('') !== whole) return rebuild(input, [[0, t.length, whole]]);
  return rebuild(input, chunks);
}

function unicodeNormalizer(form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): Normalizer {
  // Below these code points every string is already in the form (quick check):
  // composing needs a combining mark (U+0300 on); À (U+00C0) is the first
  // character that decomposes, U+00A0 the first with a compatibility mapping.
  const safeBelow = form === 'NFC' ? 0x300 : form === 'NFD' ? 0xc0 : 0xa0;
  return {
    normalize(text) {
      for (let i = 0; i < text.length; i++) {
        if (text.charCodeAt(i) >= safeBelow) return text.normalize(form);
      }
      return text;
    },
    normalizeAligned: (input) => unicodeNormalizeAligned(input, form),
  };
}

function perCodePoint(input: AlignedText, f: (ch: string) => string): AlignedText {
  const chunks: Array<[number, number, string]> = [];
  const t = input.text;
  for (let i = 0; i < t.length;) {
    const w = (t.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
    chunks.push([i, i + w, f(t.slice(i, i + w))]);
    i += w;
  }
  return rebuild(input, chunks);
}

const CONTROL = /^[\p{Cc}\p{Cf}\p{Co}]$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;

/** The CJK ideograph blocks BERT puts spaces around (the reference's `is_chinese_char`). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * BERT's clean_text: NUL, U+FFFD and control characters (categories Cc, Cf,
 * Co; tab, newline and carriage return aside) removed, white space made a
 * plain space; then, with `chinese`, a space either side of each CJK ideograph.
 */
function bertCharacter(ch: string, clean: boolean, chinese: boolean): string {
  const cp = ch.codePointAt(0)!;
  if (clean) {
    const keptControl = cp === 0x09 || cp === 0x0a || cp === 0x0d;
    if (cp === 0 || cp === 0xfffd || (!keptControl && CONTROL.test(ch))) return '';
    if (keptControl || isWhiteSpace(cp)) return ' ';
  }
  return chinese && isChineseChar(cp) ? ` ${ch} ` : ch;
}

/** The reference's BertNormalizer: clean_text, handle_chinese_chars, strip_accents (default: lowercase), lowercase, in that order. */
function bertNormalizer(json: ComponentJson, field: string, file: string | undefined): Normalizer {
  const clean = optionalBoolean(json.clean_text, `${field}.clean_text`, true, file);
  const chinese = optionalBoolean(json.handle_chinese_chars, `${field}.handle_chinese_chars`, true, file);
  const lowercase = optionalBoolean(json.lowercase, `${field}.lowercase`, true, file);
  const stripAccents = optionalBoolean(json.strip_accents, `${field}.strip_accents`, lowercase, file);
  const steps: Normalizer[] = [];
  if (clean || chinese)
    steps.push({
      normalize: (t) => {
        let out = '';
        for (const ch of t) out += bertCharacter(ch, clean, chinese);
        return out;
      },
      normalizeAligned: (input) => perCodePoint(input, (ch) => bertCharacter(ch, clean, chinese)),
    });
  if (stripAccents) steps.push(unicodeNormalizer('NFD'), STRIP_ACCENTS);
  if (lowercase) steps.push(LOWERCASE);
  return sequence(steps);
}

/** Non-spacing marks (category Mn) removed: the reference's StripAccents, which follows an NFD. */
const STRIP_ACCENTS: Normalizer = {
  normalize: (t) => {
    let out = '';
    for (const ch of t) if (!NONSPACING_MARK.test(ch)) out += ch;
    return out;
  },
  normalizeAligned: (input) => perCodePoint(input, (ch) => (NONSPACING_MARK.test(ch) ? '' : ch)),
};

const LOWERCASE: Normalizer = {
  normalize: (t) => t.toLowerCase(),
  normalizeAligned: (input) => perCodePoint(input, (c) => c.toLowerCase()),
};

function sequence(parts: Normalizer[]): Normalizer {
  return {
    normalize: (t) => parts.reduce((acc, n) => n.normalize(acc), t),
    normalizeAligned: (input) => parts.reduce((acc, n) => n.normalizeAligned(acc), input),
  };
}

export function buildNormalizer(
  json: ComponentJson | null | undefined,
  field = 'normalizer',
  file?: string,
): Normalizer | null {
  if (json === null || json === undefined) return null;
  expectComponent(json, field, file);
  switch (json.type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return unicodeNormalizer(json.type);
    case 'Lowercase':
      return LOWERCASE;
    case 'StripAccents':
      return STRIP_ACCENTS;
    case 'BertNormalizer':
      return bertNormalizer(json, field, file);
    case 'Strip': {
      const left = optionalBoolean(json.strip_left, `${field}.strip_left`, true, file);
      const right = optionalBoolean(json.strip_right, `${field}.strip_right`, true, file);
      const bounds = (t: string): [number, number] => {
        let a = 0;
        let b = t.length;
        if (left) while (a < b && isWhiteSpace(t.charCodeAt(a))) a++;
        if (right) while (b > a && isWhiteSpace(t.charCodeAt(b - 1))) b--;
        return [a, b];
      };
      return {
        normalize: (t) => {
          const [a, b] = bounds(t);
          return t.slice(a, b);
        },
        normalizeAligned: (input) => {
          const [a, b] = bounds(input.text);
          return rebuild(input, [
            [0, a, ''],
            [a, b, input.text.slice(a, b)],
            [b, input.text.length, ''],
          ]);
        },
      };
    }
    case 'Prepend': {
      const prepend = expectString(json.prepend, `${field}.prepend`, file);
      return {
        normalize: (t) => (t.length > 0 ? prepend + t : t),
        normalizeAligned: (input) => {
          if (input.text.length === 0) return input;
          const first = input.text.codePointAt(0)! > 0xffff ? 2 : 1;
          return rebuild(input, [
            [0, first, prepend + input.text.slice(0, first)],
            [first, input.text.length, input.text.slice(first)],
          ]);
        },
      };
    }
    case 'Replace': {
      const pattern = json.pattern as { String?: string; Regex?: string } | undefined;
      const content = expectString(json.content, `${field}.content`, file);
      let re: RegExp;
      if (pattern && typeof pattern.String === 'string')
        re = new RegExp(pattern.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
      else if (pattern && typeof pattern.Regex === 'string')
        re = onigToJsRegex(pattern.Regex, `${field}.pattern.Regex`, file);
      else
        throw new TokenizerFormatError(
          `${field}.pattern`,
          `expected {"String": ...} or {"Regex": ...}, got ${JSON.stringify(pattern) ?? 'nothing'}`,
          file,
        );
      return {
        normalize: (t) => t.replace(re, () => content),
        normalizeAligned: (input) => {
          const chunks: Array<[number, number, string]> = [];
          let last = 0;
          for (const m of input.text.matchAll(re)) {
            if (m[0].length === 0) continue;
            chunks.push([last, m.index!, input.text.slice(last, m.index!)]);
            chunks.push([m.index!, m.index! + m[0].length, content]);
            last = m.index! + m[0].length;
          }
          chunks.push([last, input.text.length, input.text.slice(last)]);
          return rebuild(input, chunks);
        },
      };
    }
    case 'Sequence': {
      const list = json.normalizers;
      if (!Array.isArray(list))
        throw new TokenizerFormatError(
          `${field}.normalizers`,
          `expected an array, got ${list === null ? 'null' : typeof list}`,
          file,
        );
      const parts = list
        .map((n, i) => buildNormalizer(n as ComponentJson, `${field}.normalizers[${i}]`, file))
        .filter((n): n is Normalizer => n !== null);
      return sequence(parts);
    }
    default:
      throw new UnsupportedComponentError(`${field}.type`, json.type, file);
  }
}

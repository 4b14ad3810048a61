/**
 * Pre-tokenizers of tokenizer.json: they cut normalized text into words before
 * the model sees them. A piece is a span [start, end) of the normalized text;
 * its `text` may carry `lead` inserted units in front (a prefix space) and
 * same-length character replacements (Metaspace), so offsets stay exact.
 */
import { TokenizerFormatError, UnsupportedComponentError } from './errors.js';
import { onigToJsRegex } from './onig-regex.js';
import { gpt2Split } from './gpt2-split.js';
import { qwenScanner, scannerDigitsFor } from './qwen-split.js';
import type { Scanner } from './split-scanner.js';
import { expectComponent, metaspaceSettings, optionalBoolean, type ComponentJson } from './tokenizer-json.js';
import { CLASS_NUMBER, classOf, isWhiteSpace } from './unicode-classes.js';

export interface Piece {
  text: string;
  start: number;
  end: number;
  /** Units at the front of `text` that were inserted (they map to `start`). */
  lead: number;
}

export interface PreTokenizer {
  /**
   * `atInputStart`: the pieces' text begins the whole input (not a segment after an
   * added token), which Metaspace's prepend_scheme 'first' asks, as Rust checks the
   * original offset.
   */
  split(pieces: Piece[], atInputStart?: boolean): Piece[];
  /** Whether pieces must be byte-level mapped before the model (a ByteLevel step ran). */
  readonly byteLevel: boolean;
}

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Sub-piece of `p` covering text indices [a, b). */
function slicePiece(p: Piece, a: number, b: number): Piece {
  const start = p.start + Math.max(0, a - p.lead);
  const end = p.start + Math.max(0, b - p.lead);
  return { text: p.text.slice(a, b), start, end, lead: Math.max(0, Math.min(b, p.lead) - a) };
}

/** Apply a split behaviour to matches (ranges of the piece's text). */
export function splitByMatches(
  p: Piece,
  matches: Array<[number, number]>,
  behavior: SplitBehavior,
  invert: boolean,
): Piece[] {
  const spans: Array<[number, number, boolean]> = [];
  let last = 0;
  for (const [a, b] of matches) {
    if (a > last) spans.push([last, a, false]);
    if (b > a) spans.push([a, b, true]);
    last = b;
  }
  if (last < p.text.length) spans.push([last, p.text.length, false]);
  if (invert) for (const s of spans) s[2] = !s[2];
  const out: Array<[number, number]> = [];
  switch (behavior) {
    case 'Removed':
      for (const [a, b, m] of spans) if (!m) out.push([a, b]);
      break;
    case 'Isolated':
      for (const [a, b] of spans) out.push([a, b]);
      break;
    case 'MergedWithPrevious': {
      let prevWasMatch = false;
      for (const [a, b, m] of spans) {
        if (m && out.length > 0 && !prevWasMatch) out[out.length - 1][1] = b;
        else out.push([a, b]);
        prevWasMatch = m;
      }
      break;
    }
    case 'MergedWithNext': {
      let pending = -1;
      for (const [a, b, m] of spans) {
        if (m) {
          if (pending >= 0) out.push([pending, a]);
          pending = a;
        } else {
          out.push([pending >= 0 ? pending : a, b]);
          pending = -1;
        }
      }
      if (pending >= 0) out.push([pending, p.text.length]);
      break;
    }
    case 'Contiguous': {
      let prevMatch = false;
      for (const [a, b, m] of spans) {
        if (m && prevMatch && out.length > 0) out[out.length - 1][1] = b;
        else out.push([a, b]);
        prevMatch = m;
      }
      break;
    }
  }
  return out.filter(([a, b]) => b > a).map(([a, b]) => slicePiece(p, a, b));
}

function regexMatches(re: RegExp, text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  re.lastIndex = 0;
  for (const m of text.matchAll(re)) if (m[0].length > 0) out.push([m.index!, m.index! + m[0].length]);
  return out;
}

function charMatches(text: string, test: (cp: number) => boolean): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    if (test(cp)) out.push([i, i + w]);
    i += w;
  }
  return out;
}

// Rust's is_punctuation: ASCII punctuation (symbols such as $ + < = > ^ ` | ~ among it)
// or a Unicode P* category; other symbols (°, ©, emoji) are not split off.
const PUNCTUATION = /[\p{P}!-/:-@[-`{-~]/u;
const WHITESPACE_WORDS =
  /[\p{L}\p{M}\p{Nd}\p{Pc}]+|[^\p{L}\p{M}\p{Nd}\p{Pc}\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;

function behaviorOf(v: unknown, field: string, file?: string): SplitBehavior {
  const b = v ?? 'Isolated';
  if (b === 'Removed' || b === 'Isolated' || b === 'MergedWithPrevious' || b === 'MergedWithNext' || b === 'Contiguous')
    return b;
  throw new TokenizerFormatError(field, `unknown split behavior ${JSON.stringify(v)}`, file);
}

function byRegex(re: RegExp, behavior: SplitBehavior, invert: boolean): (p: Piece) => Piece[] {
  return (p) => splitByMatches(p, regexMatches(re, p.text), behavior, invert);
}

/** The scanner as a split function (same pieces as its regex with Isolated). */
/** The pieces a scanner (`qwenSplit`, `gpt2Split`) cuts a piece into. */
function scannerPieces(p: Piece, scan: Scanner): Piece[] {
  const [ends, n] = scan(p.text, 0, p.text.length, new Int32Array(64));
  const out: Piece[] = [];
  let a = 0;
  for (let i = 0; i < n; i++) {
    out.push(slicePiece(p, a, ends[i]));
    a = ends[i];
  }
  return out;
}

/**
 * Whether every input character ends up in some piece (no pre-tokenizer of the
 * chain removes text): then the tokens of a text cover all of its bytes, which
 * bounds their number from below.
 */
export function preservesInput(json: ComponentJson | null | undefined): boolean {
  if (json === null || json === undefined) return true;
  switch (json.type) {
    case 'Split':
    case 'Punctuation':
      return json.behavior !== 'Removed';
    case 'ByteLevel':
    case 'Digits':
    case 'Metaspace':
      return true;
    case 'Sequence':
      return Array.isArray(json.pretokenizers) && json.pretokenizers.every((p) => preservesInput(p as ComponentJson));
    default:
      // Whitespace, WhitespaceSplit and BertPreTokenizer drop the white space.
      return false;
  }
}

export function buildPreTokenizer(
  json: ComponentJson | null | undefined,
  field = 'pre_tokenizer',
  file?: string,
): PreTokenizer | null {
  if (json === null || json === undefined) return null;
  expectComponent(json, field, file);
  const each = (f: (p: Piece) => Piece[], byteLevel = false): PreTokenizer => ({
    byteLevel,
    split: (pieces) => pieces.flatMap(f),
  });
  switch (json.type) {
    case 'Split': {
      const pattern = json.pattern as { String?: string; Regex?: string } | undefined;
      const behavior = behaviorOf(json.behavior, `${field}.behavior`, file);
      const invert = optionalBoolean(json.invert, `${field}.invert`, false, file);
      if (pattern && typeof pattern.Regex === 'string') {
        const digits = scannerDigitsFor(pattern.Regex);
        if (digits > 0 && behavior === 'Isolated' && !invert) {
          const scan = qwenScanner(digits);
          return each((p) => scannerPieces(p, scan));
        }
        return each(byRegex(onigToJsRegex(pattern.Regex, `${field}.pattern.Regex`, file), behavior, invert));
      }
      if (pattern && typeof pattern.String === 'string') {
        const s = pattern.String;
        return each((p) => {
          const m: Array<[number, number]> = [];
          if (s.length > 0)
            for (let i = p.text.indexOf(s); i >= 0; i = p.text.indexOf(s, i + s.length)) m.push([i, i + s.length]);
          return splitByMatches(p, m, behavior, invert);
        });
      }
      throw new TokenizerFormatError(`${field}.pattern`, 'expected {"String": ...} or {"Regex": ...}', file);
    }
    case 'ByteLevel': {
      const addPrefixSpace = optionalBoolean(json.add_prefix_space, `${field}.add_prefix_space`, true, file);
      const useRegex = optionalBoolean(json.use_regex, `${field}.use_regex`, true, file);
      // GPT-2's regex, run by its scanner.
      return each((p) => {
        let q = p;
        if (addPrefixSpace && !p.text.startsWith(' '))
          q = { text: ' ' + p.text, start: p.start, end: p.end, lead: p.lead + 1 };
        return useRegex ? scannerPieces(q, gpt2Split) : [q];
      }, true);
    }
    case 'Digits': {
      const individual = optionalBoolean(json.individual_digits, `${field}.individual_digits`, false, file);
      const isDigit = (cp: number) => classOf(cp) === CLASS_NUMBER;
      return each((p) =>
        splitByMatches(p, charMatches(p.text, isDigit), individual ? 'Isolated' : 'Contiguous', false),
      );
    }
    case 'Whitespace':
      return each(byRegex(WHITESPACE_WORDS, 'Removed', true));
    case 'WhitespaceSplit':
      return each((p) => splitByMatches(p, charMatches(p.text, isWhiteSpace), 'Removed', false));
    case 'Punctuation': {
      const behavior = behaviorOf(json.behavior, `${field}.behavior`, file);
      return each((p) =>
        splitByMatches(
          p,
          charMatches(p.text, (cp) => PUNCTUATION.test(String.fromCodePoint(cp))),
          behavior,
          false,
        ),
      );
    }
    case 'Metaspace': {
      const { replacement, scheme } = metaspaceSettings(json, field, file);
      const doSplit = optionalBoolean(json.split, `${field}.split`, true, file);
      let first = true;
      const one = (p: Piece, isFirst: boolean): Piece[] => {
        let q: Piece = { ...p, text: p.text.replaceAll(' ', replacement) };
        const prepend = (scheme === 'always' || (scheme === 'first' && isFirst)) && !q.text.startsWith(replacement);
        if (prepend) q = { ...q, text: replacement + q.text, lead: q.lead + replacement.length };
        if (!doSplit) return [q];
        const m: Array<[number, number]> = [];
        for (let i = q.text.indexOf(replacement); i >= 0; i = q.text.indexOf(replacement, i + replacement.length))
          m.push([i, i + replacement.length]);
        return splitByMatches(q, m, 'MergedWithNext', false);
      };
      return {
        byteLevel: false,
        split: (pieces, atInputStart = true) => {
          first = true;
          return pieces.flatMap((p) => {
            const r = one(p, first && atInputStart && p.start === 0);
            first = false;
            return r;
          });
        },
      };
    }
    case 'Sequence': {
      const list = json.pretokenizers;
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.pretokenizers`, 'expected an array', file);
      const parts = list
        .map((pt, i) => buildPreTokenizer(pt as ComponentJson, `${field}.pretokenizers[${i}]`, file))
        .filter((x): x is PreTokenizer => x !== null);
      return {
        byteLevel: parts.some((x) => x.byteLevel),
        split: (pieces, atInputStart) => parts.reduce((acc, x) => x.split(acc, atInputStart), pieces),
      };
    }
    case 'BertPreTokenizer':
      return each((p) =>
        splitByMatches(p, charMatches(p.text, isWhiteSpace), 'Removed', false).flatMap((q) =>
          splitByMatches(
            q,
            charMatches(q.text, (cp) => PUNCTUATION.test(String.fromCodePoint(cp))),
            'Isolated',
            false,
          ),
        ),
      );
    default:
      throw new UnsupportedComponentError(`${field}.type`, json.type, file);
  }
}

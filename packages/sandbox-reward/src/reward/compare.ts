import { describeValue, SandboxConfigError } from '../errors.js';
import type { RunRecord } from '../types.js';

/** The value a run produced, as the reward compares it. */
export interface RunAnswer {
  /** JSON data (from `final_answer` / the result variable) or the printed line. */
  value: unknown;
  /** Its text form. */
  text: string;
}

/** A user comparison: true when the run's answer matches the expected one. */
export type CompareFunction = (got: RunAnswer, expected: unknown, record: RunRecord) => boolean | Promise<boolean>;

export type Comparison = 'exact' | 'numeric' | 'normalized' | 'auto' | CompareFunction;

export interface Tolerance {
  /** Absolute tolerance (default 1e-6). */
  absolute: number;
  /** Relative tolerance (default 1e-6). */
  relative: number;
}

export const DEFAULT_TOLERANCE: Readonly<Tolerance> = Object.freeze({ absolute: 1e-6, relative: 1e-6 });

/**
 * Throws unless `tolerance` has both fields, finite and >= 0 (O(1)): a missing one
 * is NaN in the comparison, which then fails every non-integer answer, right or wrong.
 */
export function checkTolerance(tolerance: Tolerance, where: string): void {
  if (tolerance === null || typeof tolerance !== 'object') {
    throw new SandboxConfigError(
      'tolerance',
      `${where} expected { absolute, relative }, got ${describeValue(tolerance)}`,
    );
  }
  for (const key of ['absolute', 'relative'] as const) {
    const value = tolerance[key];
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new SandboxConfigError(
        `tolerance.${key}`,
        `${where} expected a finite number >= 0, got ${describeValue(value)}`,
      );
    }
  }
}

/** Throws unless `got` is a RunAnswer (`text` a string): a matcher would fail inside with a bare TypeError. */
function checkGot(got: RunAnswer, where: string): void {
  if (got === null || typeof got !== 'object' || typeof got.text !== 'string') {
    throw new TypeError(
      `${where}: got must be a run's answer { value, text: string }, got ${got !== null && typeof got === 'object' ? `text ${describeValue(got.text)}` : describeValue(got)}`,
    );
  }
}

/** `String(x)` for answers, with JSON for structured ground truths. */
export function answerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function exactMatch(got: RunAnswer, expected: unknown): boolean {
  checkGot(got, 'exactMatch');
  if (expected !== null && typeof expected === 'object') return JSON.stringify(got.value) === JSON.stringify(expected);
  return got.text.trim() === answerText(expected).trim();
}

/**
 * Parse a number as models and data sets write it: `42`, `-3.5e2`, `1,234`,
 * `3/4`, `\frac{3}{4}`, `50%`, optionally wrapped in `$...$` or `\boxed{}`.
 * A space between digits is read only as a thousands separator (`1 234`):
 * `1 2` is two numbers, not 12.
 */
export function parseNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') {
    // A bigint past the double range is not a number this reads (as Infinity is not).
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  const cleaned = numberText(value);
  if (cleaned === null) return null;
  const s = cleaned.text;
  let n: number | null = null;
  const frac =
    /^([-+]?)\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}$/.exec(s) ??
    /^([-+]?)\(?([-+]?[\d.]+)\)?\/\(?([-+]?[\d.]+)\)?$/.exec(s);
  if (frac) {
    const num = Number(frac[2]);
    const den = Number(frac[3]);
    if (Number.isFinite(num) && Number.isFinite(den) && den !== 0) n = (frac[1] === '-' ? -1 : 1) * (num / den);
  } else if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) {
    n = Number(s);
  }
  if (n === null || !Number.isFinite(n)) return null;
  return cleaned.percent ? n / 100 : n;
}

/** The text of a written number without its wrappers, spacing, thousands separators and percent sign. */
function numberText(value: unknown): { text: string; percent: boolean } | null {
  if (typeof value !== 'string') return null;
  let s = unwrap(value).replace(/\\!|\\,/g, '');
  if (/^[-+]?\d{1,3}(\s\d{3})+(\.\d+)?\\?%?$/.test(s)) s = s.replace(/\s/g, '');
  // Digits on both sides of a space are two numbers, not one.
  else if (/\d\s+\d/.test(s)) return null;
  s = s.replace(/\s/g, '');
  const percent = s.endsWith('%') || s.endsWith('\\%');
  if (percent) s = s.replace(/\\?%$/, '');
  if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  return { text: s, percent };
}

/**
 * An integer answer as an exact bigint (`42`, `-7`, `1,234`, a JSON number
 * that is a safe integer, a bigint, a string of any number of digits); null
 * for anything else (fractions, decimals, exponents, percentages).
 */
function parseInteger(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  const cleaned = numberText(value);
  if (cleaned === null || cleaned.percent || !/^[-+]?\d+$/.test(cleaned.text)) return null;
  return BigInt(cleaned.text);
}

/**
 * Whether the answer and the ground truth agree as numbers; null when either
 * is not a number. An integer ground truth is matched exactly: digit for digit
 * when both are written as integers (so neither a wrong digit of a big integer
 * nor an off-by-one past 10^6 hides inside the relative tolerance), otherwise
 * the answer must round to it and lie within the tolerance (a float such as
 * 41.99999999 computing 42). Other ground truths use the tolerance.
 */
function numbersAgree(got: RunAnswer, expected: unknown, tolerance: Tolerance): boolean | null {
  const raw = typeof got.value === 'number' ? got.value : got.text;
  const a = parseNumber(raw);
  const b = parseNumber(expected);
  if (a === null || b === null) return null;
  const within = Math.abs(a - b) <= tolerance.absolute + tolerance.relative * Math.abs(b);
  if (!Number.isInteger(b)) return within;
  const exactGot = parseInteger(raw);
  const exactExpected = parseInteger(expected);
  if (exactGot !== null && exactExpected !== null) return exactGot === exactExpected;
  return within && Math.round(a) === b;
}

export function numericMatch(got: RunAnswer, expected: unknown, tolerance: Tolerance): boolean {
  checkGot(got, 'numericMatch');
  checkTolerance(tolerance, 'numericMatch');
  return numbersAgree(got, expected, tolerance) === true;
}

/**
 * Lower-case, drop `$`, a trailing period, LaTeX spacing and
 * `\left`/`\right`, unwrap `\boxed{}` / `\text{}`, and drop whitespace except
 * between two letters or between two digits, where a run of it counts as one
 * space: `x + 1` is `x+1`, `2 x` is `2x` and `\sqrt 2` is `\sqrt2`, but
 * `world hello` is not `worldhello` and `1 0` is not `10`.
 */
const LETTER = /\p{L}/u;
const DIGIT = /\p{N}/u;

export function normalizeAnswer(text: string): string {
  if (typeof text !== 'string')
    throw new TypeError(`normalizeAnswer: text must be a string, got ${describeValue(text)}`);
  return unwrap(text.normalize('NFKC'))
    .replace(
      /\\text\{([^{}]*)\}|\\mathrm\{([^{}]*)\}/g,
      (_, a: string | undefined, b: string | undefined) => a ?? b ?? '',
    )
    .replace(/\\left|\\right|\\!|\\,|\\;|\\quad/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/(?<=(.)) (?=(.))/gu, (_, before: string, after: string) =>
      (LETTER.test(before) && LETTER.test(after)) || (DIGIT.test(before) && DIGIT.test(after)) ? ' ' : '',
    )
    .replace(/\.$/, '')
    .toLowerCase();
}

export function normalizedMatch(got: RunAnswer, expected: unknown): boolean {
  checkGot(got, 'normalizedMatch');
  return normalizeAnswer(got.text) === normalizeAnswer(answerText(expected));
}

/** Numeric when both sides read as numbers, else normalized text. */
export function autoMatch(got: RunAnswer, expected: unknown, tolerance: Tolerance): boolean {
  checkGot(got, 'autoMatch');
  checkTolerance(tolerance, 'autoMatch');
  const numeric = numbersAgree(got, expected, tolerance);
  if (numeric !== null) return numeric;
  if (expected !== null && typeof expected === 'object') return exactMatch(got, expected);
  return normalizedMatch(got, expected);
}

function unwrap(text: string): string {
  let s = text.trim();
  for (let i = 0; i < 3; i++) {
    const before = s;
    s = s
      .replace(/\.$/, '')
      .replace(/^\$+|\$+$/g, '')
      .trim();
    const boxed = /^\\boxed\{([\s\S]*)\}$/.exec(s);
    if (boxed) s = boxed[1]!.trim();
    if (s === before) break;
  }
  return s;
}

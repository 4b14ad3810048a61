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

/** `String(x)` for answers, with JSON for structured ground truths. */
export function answerText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function exactMatch(got: RunAnswer, expected: unknown): boolean {
  if (expected !== null && typeof expected === 'object') return JSON.stringify(got.value) === JSON.stringify(expected);
  return got.text.trim() === answerText(expected).trim();
}

/**
 * Parse a number as models and data sets write it: `42`, `-3.5e2`, `1,234`,
 * `3/4`, `\frac{3}{4}`, `50%`, optionally wrapped in `$...$` or `\boxed{}`.
 */
export function parseNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return null;
  let s = unwrap(value).replace(/\\!|\\,|\s/g, '');
  const percent = s.endsWith('%') || s.endsWith('\\%');
  if (percent) s = s.replace(/\\?%$/, '');
  if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
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
  return percent ? n / 100 : n;
}

export function numericMatch(got: RunAnswer, expected: unknown, tolerance: Tolerance): boolean {
  const a = parseNumber(typeof got.value === 'number' ? got.value : got.text);
  const b = parseNumber(expected);
  if (a === null || b === null) return false;
  return Math.abs(a - b) <= tolerance.absolute + tolerance.relative * Math.abs(b);
}

/**
 * Lower-case, drop whitespace, `$`, a trailing period, LaTeX spacing and
 * `\left`/`\right`, and unwrap `\boxed{}` / `\text{}`.
 */
export function normalizeAnswer(text: string): string {
  return unwrap(text.normalize('NFKC'))
    .replace(
      /\\text\{([^{}]*)\}|\\mathrm\{([^{}]*)\}/g,
      (_, a: string | undefined, b: string | undefined) => a ?? b ?? '',
    )
    .replace(/\\left|\\right|\\!|\\,|\\;|\\quad/g, '')
    .replace(/\s+/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

export function normalizedMatch(got: RunAnswer, expected: unknown): boolean {
  return normalizeAnswer(got.text) === normalizeAnswer(answerText(expected));
}

/** Numeric when both sides read as numbers, else normalized text. */
export function autoMatch(got: RunAnswer, expected: unknown, tolerance: Tolerance): boolean {
  const a = parseNumber(typeof got.value === 'number' ? got.value : got.text);
  const b = parseNumber(expected);
  if (a !== null && b !== null) return Math.abs(a - b) <= tolerance.absolute + tolerance.relative * Math.abs(b);
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

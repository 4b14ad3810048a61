import { describe, expect, it } from 'vitest';
import {
  autoMatch,
  DEFAULT_TOLERANCE,
  exactMatch,
  normalizeAnswer,
  normalizedMatch,
  numericMatch,
  parseNumber,
} from './compare.js';

const got = (text: string, value: unknown = text) => ({ value, text });

describe('parseNumber', () => {
  it('reads the ways numbers are written', () => {
    expect(parseNumber('42')).toBe(42);
    expect(parseNumber(' -3.5e2 ')).toBe(-350);
    expect(parseNumber('1,234,567')).toBe(1234567);
    expect(parseNumber('3/4')).toBe(0.75);
    expect(parseNumber('\\frac{1}{8}')).toBe(0.125);
    expect(parseNumber('-\\dfrac{1}{2}')).toBe(-0.5);
    expect(parseNumber('$\\boxed{17}$')).toBe(17);
    expect(parseNumber('50%')).toBe(0.5);
    expect(parseNumber(7)).toBe(7);
  });

  it('refuses what is not a number', () => {
    expect(parseNumber('x + 1')).toBeNull();
    expect(parseNumber('1/0')).toBeNull();
    expect(parseNumber('')).toBeNull();
    expect(parseNumber(Number.NaN)).toBeNull();
    expect(parseNumber(null)).toBeNull();
  });
});

describe('comparisons', () => {
  it('exact compares trimmed text, or JSON for structured answers', () => {
    expect(exactMatch(got('42 '), '42')).toBe(true);
    expect(exactMatch(got('42.0'), '42')).toBe(false);
    expect(exactMatch(got('[1, 2]', [1, 2]), [1, 2])).toBe(true);
  });

  it('numeric uses the tolerance', () => {
    expect(numericMatch(got('0.3333333'), '1/3', DEFAULT_TOLERANCE)).toBe(true);
    expect(numericMatch(got('0.33'), '1/3', DEFAULT_TOLERANCE)).toBe(false);
    expect(numericMatch(got('0.33'), '1/3', { absolute: 0.01, relative: 0 })).toBe(true);
    expect(numericMatch(got('42', 42), 42, DEFAULT_TOLERANCE)).toBe(true);
    expect(numericMatch(got('forty-two'), 42, DEFAULT_TOLERANCE)).toBe(false);
  });

  it('normalized ignores case, spacing, $ and LaTeX wrappers', () => {
    expect(normalizeAnswer(' $\\boxed{\\text{Yes}}$. ')).toBe('yes');
    expect(normalizedMatch(got('x^2 + 1'), '$x^2+1$')).toBe(true);
    expect(normalizedMatch(got('\\left(1, 2\\right)'), '(1,2)')).toBe(true);
    expect(normalizedMatch(got('x^2 + 2'), 'x^2+1')).toBe(false);
  });

  it('auto is numeric for numbers and normalized otherwise', () => {
    expect(autoMatch(got('42.0000000001'), '42', DEFAULT_TOLERANCE)).toBe(true);
    expect(autoMatch(got('Paris'), 'paris', DEFAULT_TOLERANCE)).toBe(true);
    expect(autoMatch(got('41'), '42', DEFAULT_TOLERANCE)).toBe(false);
  });
});

/**
 * Answers a policy could be rewarded for although they are wrong: each was
 * scored correct before, through the relative tolerance, float rounding or
 * the dropped spaces. The honest forms next to them must still match.
 */
describe('wrong answers that read as right', () => {
  const tol = DEFAULT_TOLERANCE;

  it('an integer ground truth is matched exactly, not within the relative tolerance', () => {
    // 1e-6 relative of 10^6 is 1: an off-by-one used to pass.
    expect(autoMatch(got('1000001', 1000001), '1000000', tol)).toBe(false);
    expect(numericMatch(got('1000001', 1000001), '1000000', tol)).toBe(false);
    expect(autoMatch(got('123456800', 123456800), 123456789, tol)).toBe(false);
    // Past 2^53 both sides used to become the same double.
    expect(autoMatch(got('12345678901234567891'), '12345678901234567890', tol)).toBe(false);
    expect(autoMatch(got('9007199254740993'), '9007199254740992', tol)).toBe(false);
    // A float must round to the integer.
    expect(autoMatch(got('1000000.9', 1000000.9), '1000000', tol)).toBe(false);
    // Honest forms still match.
    expect(autoMatch(got('12345678901234567890'), '12345678901234567890', tol)).toBe(true);
    expect(autoMatch(got('5050.0', 5050), '5050', tol)).toBe(true);
    expect(autoMatch(got('41.99999999999', 41.99999999999), '42', tol)).toBe(true);
    expect(autoMatch(got('1,000,000'), '1000000', tol)).toBe(true);
    expect(autoMatch(got('1e20', 1e20), '100000000000000000000', tol)).toBe(true);
    expect(autoMatch(got('0.3333333'), '1/3', tol)).toBe(true);
  });

  it('digits split by a space are not one number', () => {
    expect(parseNumber('1 2')).toBeNull();
    expect(autoMatch(got('10 10'), '1010', tol)).toBe(false);
    expect(autoMatch(got('1 0 1 0'), '1010', tol)).toBe(false);
    expect(parseNumber('1 234 567')).toBe(1234567);
    expect(parseNumber('- 5')).toBe(-5);
    expect(parseNumber('50 %')).toBe(0.5);
  });

  it('words glued together do not match words with a space between them', () => {
    expect(autoMatch(got('worldhello'), 'world hello', tol)).toBe(false);
    expect(normalizedMatch(got('world hello'), 'worldhello')).toBe(false);
    expect(autoMatch(got('world   hello'), 'world hello', tol)).toBe(true);
    expect(autoMatch(got(' world hello\n'), 'world hello', tol)).toBe(true);
    expect(normalizedMatch(got('\\text{New York}'), 'new york')).toBe(true);
    expect(normalizedMatch(got('(1, 2)'), '(1,2)')).toBe(true);
    expect(normalizedMatch(got('2 \\sqrt{2}'), '2\\sqrt{2}')).toBe(true);
    // A space between a letter and a digit (or a LaTeX command and its argument) is not significant.
    expect(normalizedMatch(got('\\sqrt 2'), '\\sqrt2')).toBe(true);
    expect(normalizedMatch(got('2 x'), '2x')).toBe(true);
    expect(normalizedMatch(got('x 2'), 'x2')).toBe(true);
    expect(normalizedMatch(got('1 0'), '10')).toBe(false);
  });
});

describe('bad input to the matchers', () => {
  it('refuses a partial or missing tolerance instead of comparing with NaN', () => {
    // A missing `relative` made every non-integer comparison false, the right answer included.
    expect(() => numericMatch(got('0.5'), '0.5', { absolute: 1e-6 } as never)).toThrow(
      /`tolerance\.relative`: numericMatch expected a finite number >= 0, got undefined/,
    );
    expect(() => autoMatch(got('0.5'), '0.5', undefined as never)).toThrow(
      /`tolerance`: autoMatch expected \{ absolute, relative \}, got undefined/,
    );
    expect(() => autoMatch(got('0.5'), '0.5', { absolute: Number.NaN, relative: 0 })).toThrow(
      /`tolerance\.absolute`: autoMatch expected a finite number >= 0, got NaN/,
    );
    expect(numericMatch(got('0.5'), '0.5', { absolute: 0, relative: 0 })).toBe(true);
  });

  it('names an answer that is not a run answer, and text that is not a string', () => {
    expect(() => exactMatch('42' as never, '42')).toThrow(
      'exactMatch: got must be a run\'s answer { value, text: string }, got "42"',
    );
    expect(() => normalizedMatch({ value: 42 } as never, '42')).toThrow(
      "normalizedMatch: got must be a run's answer { value, text: string }, got text undefined",
    );
    expect(() => autoMatch(null as never, '42', DEFAULT_TOLERANCE)).toThrow('autoMatch: got must be');
    expect(() => numericMatch(undefined as never, '42', DEFAULT_TOLERANCE)).toThrow('numericMatch: got must be');
    expect(() => normalizeAnswer(42 as never)).toThrow('normalizeAnswer: text must be a string, got 42');
  });

  it('reads a bigint past the double range as no number, as it reads Infinity', () => {
    expect(parseNumber(10n ** 400n)).toBeNull();
    expect(parseNumber(Number.POSITIVE_INFINITY)).toBeNull();
    expect(parseNumber(2n ** 60n)).toBe(2 ** 60);
    // The big integer is still matched digit for digit as text.
    expect(autoMatch(got(String(10n ** 400n)), 10n ** 400n, DEFAULT_TOLERANCE)).toBe(true);
    expect(autoMatch(got(String(10n ** 400n + 1n)), 10n ** 400n, DEFAULT_TOLERANCE)).toBe(false);
  });
});

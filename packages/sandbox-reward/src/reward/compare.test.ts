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

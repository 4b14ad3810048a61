/**
 * Adversarial inputs: runaway model outputs and answers that name huge
 * numbers. The grader bounds its own work (linear scans for extraction, a
 * length limit before normalisation, MAX_BITS and a work budget for exact
 * arithmetic, a budget of scalar comparisons); these tests assert the
 * verdicts, which must be right or "not equal" (undecided), never a wrong
 * "equal". None of them times anything: an unbounded algorithm shows up as a
 * test that does not finish within the runner's timeout.
 */
import { describe, expect, it } from 'vitest';
import { exprEqual, extractAnswer, grade, lastBoxed, parse, valuesEqual, verify } from '../index.js';

describe('numbers past the double range', () => {
  it.each([
    ['10^{400}', '10^{500}'],
    ['2^{1024}', '3^{1024}'],
    ['171!', '172!'],
    ['10^{20}', '10^{20}+1'],
    ['123456789012345678901234567890', '123456789012345678901234567891'],
    ['1e400', '1e401'],
    ['\\infty', '10^{400}'],
    ['-\\infty', '\\infty'],
    ['\\binom{2000}{1000}', '\\binom{2000}{1000}+1'],
    ['2^{60}', '2^{60}\\cdot\\cos(0)'],
    ['x + 10^{20}', 'x + 10^{20} + 1'],
  ])('%s is not %s', (a, b) => {
    expect(verify(a, b)).toBe(false);
    expect(verify(b, a)).toBe(false);
  });

  it.each([
    ['10^{400}', '100^{200}'],
    ['2^{1024}', '4^{512}'],
    ['172!', '172\\cdot 171!'],
    ['1e400', '10^{400}'],
    ['\\binom{200}{100}', '\\frac{200!}{100!\\,100!}'],
    ['\\sqrt{10^{800}}', '10^{400}'],
    ['8^{2/3}', '4'],
    ['\\infty', '+\\infty'],
    ['\\frac{1}{3}', '0.333333333333'],
    ['(2, \\infty)', '(2, +\\infty)'],
    ['x + 10^{20}', '10^{20} + x'],
  ])('%s is %s', (a, b) => {
    expect(verify(a, b)).toBe(true);
    expect(verify(b, a)).toBe(true);
  });
});

describe('bounded work', () => {
  it('a binomial with a billion terms is undecided, not computed', () => {
    expect(verify('1', '\\boxed{\\binom{10^9}{5\\cdot10^8}}')).toBe(false);
    expect(verify('\\binom{10^9}{5\\cdot10^8} + 1', '\\boxed{\\binom{10^9}{5\\cdot10^8}}')).toBe(false);
    expect(verify('x', '\\boxed{x + \\binom{10^9}{5\\cdot10^8}}')).toBe(false);
    // The identical expression still matches.
    expect(verify('\\binom{10^9}{5\\cdot10^8}', '\\boxed{\\binom{10^9}{5\\cdot10^8}}')).toBe(true);
  });

  it('towers and huge factorials are undecided unless written identically', () => {
    expect(verify('2^{2^{2^{2^{10}}}}', '2^{2^{2^{2^{10}}}} + 1')).toBe(false);
    expect(verify('2^{2^{2^{2^{10}}}}', '2^{2^{2^{2^{10}}}}')).toBe(true);
    expect(verify('100000!', '100001!')).toBe(false);
    expect(verify('10^{10^{6}}', '10^{1000000}')).toBe(false);
    expect(verify('1e99999', '1e99998')).toBe(false);
  });

  it('a comparison that needs more exact work than its budget is "not equal", even when the values agree', () => {
    // 100 binomials of 1,000 steps each: over the work budget, so the equal sums are not decided equal.
    const terms = Array.from({ length: 100 }, (_, i) => `\\binom{${2000 + i}}{1000}`);
    const gold = terms.join('+');
    const reordered = [...terms].reverse().join('+');
    expect(verify(gold, reordered)).toBe(false);
    // A few of them fit.
    expect(verify(terms.slice(0, 3).join('+'), terms.slice(0, 3).reverse().join('+'))).toBe(true);
  });

  it('long lists compare in order, out of order, and within the comparison budget', () => {
    const items = Array.from({ length: 300 }, (_, i) => String(i));
    expect(verify(`\\boxed{${items.join(',')}}`, `\\boxed{${[...items].reverse().join(',')}}`)).toBe(true);
    const symbolic = Array.from({ length: 300 }, () => 'x');
    expect(verify(`\\boxed{${symbolic.join(',')}}`, `\\boxed{${symbolic.map(() => 'y').join(',')}}`)).toBe(false);
  });

  it('exprEqual and valuesEqual check their options', () => {
    const [a] = parse('5');
    expect(() => valuesEqual(a!.value, a!.value, { relativeTolerance: Number.NaN })).toThrow(
      /relativeTolerance: expected a finite number >= 0, got NaN/,
    );
    expect(() => verify('5', '5', { relativeTolerance: '0.1' as unknown as number })).toThrow(/relativeTolerance/);
    const node = a!.value.kind === 'expr' ? a!.value.node : null;
    expect(() => exprEqual(node!, node!, null as never)).toThrow(/EqualOptions: expected an object, got null/);
  });
});

describe('runaway outputs', () => {
  it('extracts the answer of a looping output (50,000 repeats of the answer phrase)', () => {
    expect(extractAnswer('The final answer is 5. '.repeat(50_000))).toBe('5');
    expect(extractAnswer('The final answer is 5.\n'.repeat(50_000))).toBe('5');
    expect(extractAnswer('Answer: 7\n'.repeat(50_000))).toBe('7');
    expect(verify('5', 'The final answer is 5. '.repeat(50_000))).toBe(true);
  });

  it.each([
    ['unclosed boxes', '\\boxed{'.repeat(50_000)],
    ['spaced boxes', '\\boxed '.repeat(50_000)],
    ['unclosed display math', '\\[ x '.repeat(50_000)],
    ['unclosed inline math', '\\( x '.repeat(50_000)],
    ['lone dollars', '$ a '.repeat(50_000)],
    ['blank lines', '\n'.repeat(200_000) + 'x y z w'],
    ['dots and spaces after a phrase', 'The final answer is ' + '. '.repeat(100_000) + 'x'],
    ['an unclosed \\text after a phrase', 'The final answer is ' + '\\text{'.repeat(30_000)],
    ['think tags', '<think>'.repeat(30_000)],
    ['letters', 'a'.repeat(200_000)],
  ])('%s: a verdict', (_name, text) => {
    expect(verify('5', text)).toBe(false);
    expect(Array.isArray(parse(text))).toBe(true);
  });

  it.each([
    // Deeper than the work budget parses (100 levels are read as 5): undecided, so not equal.
    ['nested boxes', '\\boxed{'.repeat(20_000) + '5' + '}'.repeat(20_000), false],
    // Several boxed answers are one answer that hedges (as one "and" already is): not 5.
    ['many boxes joined by "and"', '\\boxed{5} and '.repeat(20_000) + '\\boxed{5}', false],
    ['a long answer line', 'The final answer is $5$. ' + 'More words here. '.repeat(20_000), true],
  ])('%s: a pinned verdict, in time', (_name, text, verdict) => {
    expect(verify('5', text)).toBe(verdict);
  });

  it('the short forms of those: 100 nested boxes are 5, two boxes joined by "and" are not', () => {
    expect(verify('5', '\\boxed{'.repeat(100) + '5' + '}'.repeat(100))).toBe(true);
    expect(verify('5', '\\boxed{5} and \\boxed{5}')).toBe(false);
  });

  it('a box nested in a box is one answer', () => {
    expect(lastBoxed('\\boxed{\\boxed{2}}')).toBe('\\boxed{2}');
    expect(verify('2', '\\boxed{\\boxed{2}}')).toBe(true);
  });

  it('a runaway answer is compared as text only', () => {
    const long = '1,'.repeat(3000) + '5';
    expect(verify('5', `$${long}$`)).toBe(false);
    expect(verify(`\\boxed{${long}}`, `\\boxed{${long}}`)).toBe(true);
  });

  const nasty = [
    '\\boxed{100000!}',
    '\\boxed{2^{2^{2^{2^{10}}}}}',
    '\\boxed{' + '('.repeat(900) + '5' + ')'.repeat(900) + '}',
    '\\boxed{' + 'x+'.repeat(900) + '5}',
    '\\boxed{' + 'x+'.repeat(5000) + '5}',
    '$' + '1,'.repeat(3000) + '5$',
    '\\boxed{\\binom{100000}{50000}}',
    '\\boxed{\\sqrt[1000000]{2}}',
    '\\boxed{\\frac{1}{0}}',
    '\\boxed{0/0}',
    '\\boxed{\\left(}',
    '\\boxed{\\frac{}{}}',
    '\\boxed{\\unknowncommand{5}}',
    '\\boxed{' + '\\binom{9999}{4999}+'.repeat(100) + '1}',
    '\\boxed{' + '400!+'.repeat(350) + '1}',
    '\\boxed{' + Array(100).fill('x\\binom{999}{499}').join(',') + '}',
  ];
  it.each(nasty.map((n) => [n.slice(0, 30), n] as const))('%s: a verdict without throwing', (_name, text) => {
    expect(verify('5', text)).toBe(false);
    expect(() => parse(text)).not.toThrow();
  });

  it('long runs of whitespace inside an answer and chains of ± cost no more than other answers', () => {
    expect(grade('2', '\\boxed{1' + ' '.repeat(3990) + '1}').correct).toBe(false);
    expect(grade('2', 'The answer is 1' + ' '.repeat(2500) + '1').correct).toBe(false);
    expect(grade('2', '\\boxed{x<' + ' '.repeat(600) + 'or' + ' '.repeat(600) + '5}').correct).toBe(false);
    expect(grade('2', '\\boxed{' + Array(25).fill('1').join('\\pm') + '}').correct).toBe(false);
    expect(grade('2', 'x = ' + Array.from({ length: 24 }, (_, i) => i + 1).join(' \\pm '))).toMatchObject({
      correct: false,
    });
    // A few ± still expand: 1 ± 2 ± 3 is {-4, 0, 2, 6}.
    expect(verify('\\{-4, 0, 2, 6\\}', '1 \\pm 2 \\pm 3')).toBe(true);
  });

  it('an escaped dollar inside the math after "The answer is" is part of the answer', () => {
    expect(grade('\\$36', 'The final answer is $\\$36$. I hope it is correct.').correct).toBe(true);
    expect(grade('36', 'Answer: $\\$ 36$').correct).toBe(true);
  });

  it('deep nesting that still parses is still right', () => {
    expect(verify('5', '\\boxed{' + '\\frac{'.repeat(150) + '5' + '}{1}'.repeat(150) + '}')).toBe(true);
    expect(verify('5', '\\boxed{' + '('.repeat(100) + '5' + ')'.repeat(100) + '}')).toBe(true);
    expect(verify('5', '\\boxed{' + '\\frac{'.repeat(60) + '5' + '}{1}'.repeat(60) + '}')).toBe(true);
  });

  it('rejects a value that is not a string with the function named', () => {
    expect(() => extractAnswer(42 as unknown as string)).toThrow(/extractAnswer: expected a string, got number/);
    expect(() => lastBoxed(null as unknown as string)).toThrow(/lastBoxed: expected a string/);
    expect(() => grade(5 as unknown as string, '5')).toThrow(/grade: gold must be a string, got number/);
  });
});

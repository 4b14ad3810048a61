import { describe, expect, it } from 'vitest';
import { parse, verify } from '../index.js';

describe('runaway outputs', () => {
  const nasty = [
    '\\boxed{100000!}',
    '\\boxed{2^{2^{2^{2^{10}}}}}',
    '\\boxed{' + '('.repeat(900) + '5' + ')'.repeat(900) + '}',
    '\\boxed{' + 'x+'.repeat(900) + '5}',
    '\\boxed{' + 'x+'.repeat(5000) + '5}',
    '\\boxed{' + '\\frac{'.repeat(150) + '5' + '}{1}'.repeat(150) + '}',
    'a'.repeat(200_000),
    '$' + '1,'.repeat(3000) + '5$',
    '\\boxed{\\binom{100000}{50000}}',
    '\\boxed{\\sqrt[1000000]{2}}',
    '\\boxed{\\frac{1}{0}}',
    '\\boxed{0/0}',
    '\\boxed{\\left(}',
    '\\boxed{\\frac{}{}}',
    '\\boxed{\\unknowncommand{5}}',
  ];
  it.each(nasty.map((n) => [n.slice(0, 30), n] as const))('%s: a verdict, quickly, without throwing', (_name, text) => {
    const start = Date.now();
    expect(() => verify('5', text)).not.toThrow();
    expect(() => parse(text)).not.toThrow();
    expect(Date.now() - start).toBeLessThan(5000);
  });
  it('deep nesting that still parses is still right', () => {
    expect(verify('5', '\\boxed{' + '('.repeat(100) + '5' + ')'.repeat(100) + '}')).toBe(true);
    expect(verify('5', '\\boxed{' + '\\frac{'.repeat(60) + '5' + '}{1}'.repeat(60) + '}')).toBe(true);
  });
});

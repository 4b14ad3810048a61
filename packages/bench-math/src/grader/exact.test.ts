import { parse as mathParse } from 'mathjs';
import { describe, expect, it } from 'vitest';
import { COMPARISON_WORK_LIMIT, exactValue, recordNumerals, treeText } from './exact.js';
import {
  bitLength,
  ExactLimit,
  exactRoot,
  fromDouble,
  MAX_BITS,
  parseDecimal,
  power,
  WorkBudget,
  type Rational,
} from './rational.js';

const budget = () => new WorkBudget(COMPARISON_WORK_LIMIT);

function exact(text: string, scope?: Record<string, bigint>) {
  const node = mathParse(text);
  recordNumerals(node, text);
  const s = scope && new Map(Object.entries(scope).map(([k, v]) => [k, { n: v, d: 1n } as Rational]));
  return exactValue(node, budget(), s);
}

const int = (v: ReturnType<typeof exact>) =>
  v?.kind === 'rational' && v.value.n % v.value.d === 0n ? v.value.n / v.value.d : v;

describe('rationals', () => {
  it('reads decimals exactly and refuses exponents past MAX_BITS', () => {
    expect(parseDecimal('3.50')).toEqual({ n: 350n, d: 100n });
    expect(parseDecimal('.25')).toEqual({ n: 25n, d: 100n });
    expect(parseDecimal('1e400')!.n).toBe(10n ** 400n);
    expect(parseDecimal('2.5E-3')).toEqual({ n: 25n, d: 10000n });
    expect(parseDecimal('1e99999')).toBeNull();
    expect(parseDecimal('x')).toBeNull();
    expect(parseDecimal('.')).toBeNull();
  });
  it('converts doubles exactly', () => {
    expect(fromDouble(0.5)).toEqual({ n: 1n, d: 2n });
    expect(fromDouble(0.1)!.d).toBe(2n ** 55n);
    expect(fromDouble(Infinity)).toBeNull();
  });
  it('measures bits', () => {
    expect([0n, 1n, 2n, 255n, 256n, -256n, 2n ** 1000n].map(bitLength)).toEqual([0, 1, 2, 8, 9, 9, 1001]);
  });
  it('refuses a power wider than MAX_BITS before computing it', () => {
    expect(() => power({ n: 3n, d: 1n }, 10n ** 9n, budget())).toThrow(ExactLimit);
    expect(power({ n: -1n, d: 1n }, 10n ** 400n, budget())).toEqual({ n: 1n, d: 1n });
    expect(power({ n: 0n, d: 1n }, -1n, budget())).toBeNull();
    expect(power({ n: 2n, d: 3n }, -2n, budget())).toEqual({ n: 9n, d: 4n });
  });
  it('takes exact roots of perfect powers only', () => {
    expect(exactRoot(3n ** 300n, 3, budget())).toBe(3n ** 100n);
    expect(exactRoot(3n ** 300n + 1n, 3, budget())).toBeNull();
    expect(exactRoot(2n, 5, budget())).toBeNull();
    expect(exactRoot(1n, 1000, budget())).toBe(1n);
  });
  it('stops when the work budget is spent', () => {
    const tiny = new WorkBudget(1000);
    expect(() => {
      for (let i = 0; i < 100; i++) power({ n: 3n, d: 1n }, 1000n, tiny);
    }).toThrow(/work budget/);
    expect(tiny.exhausted).toBe(true);
  });
});

describe('exactValue', () => {
  it('computes integers past the double range exactly', () => {
    expect(int(exact('10^400 - 10^400 + 1'))).toBe(1n);
    expect(int(exact('factorial(172) / factorial(171)'))).toBe(172n);
    expect(int(exact('172!/171!'))).toBe(172n);
    expect(int(exact('combinations(200, 100)'))).toBe(90548514656103281165404177077484163874504589675413336841320n);
    expect(int(exact('123456789012345678901234567891'))).toBe(123456789012345678901234567891n);
    expect(int(exact('gcd(2^100, 6^50)'))).toBe(2n ** 50n);
    expect(int(exact('lcm(4, 6)'))).toBe(12n);
    expect(int(exact('floor(7/2) + ceil(-7/2) + abs(-3) + max(1, 5, 2) + min(3, -1)'))).toBe(3n - 3n + 3n + 5n - 1n);
    expect(int(exact('sqrt(10^800)'))).toBe(10n ** 400n);
    expect(int(exact('nthRoot(-27, 3)'))).toBe(-3n);
    expect(int(exact('8^(2/3)'))).toBe(4n);
  });
  it('is inexact (null) for what has no exact value here', () => {
    for (const t of ['pi', 'sqrt(2)', 'sin(1)', 'x + 1', '(-8)^(1/3)', 'sqrt(-4)', 'e^2', '2^(1/1000)'])
      expect(exact(t), t).toBeNull();
  });
  it('is inexact past MAX_BITS, without computing', () => {
    expect(exact('2^(2^(2^(2^10)))')).toBeNull();
    expect(exact('combinations(10^9, 5*10^8)')).toBeNull();
    expect(exact('100000!')).toBeNull();
    expect(exact(`2^${MAX_BITS + 1}`)).toBeNull();
    expect(int(exact(`2^${MAX_BITS - 1}`))).toBe(2n ** BigInt(MAX_BITS - 1));
  });
  it('keeps infinities and undefined values apart from numbers', () => {
    expect(exact('Infinity')).toEqual({ kind: 'infinity', sign: 1 });
    expect(exact('-Infinity')).toEqual({ kind: 'infinity', sign: -1 });
    expect(exact('1/0')).toEqual({ kind: 'undefined' });
    expect(exact('1e400')?.kind).toBe('rational');
    // A tree parsed without its numerals recorded: an Infinity may be an overflowed numeral, so it is not exact.
    expect(exactValue(mathParse('1e400'), budget())).toBeNull();
  });
  it('evaluates at a scope of exact values', () => {
    expect(int(exact('x^2 + 10^20', { x: 3n }))).toBe(10n ** 20n + 9n);
  });
  it('charges a cached result again, so a verdict does not depend on what ran before', () => {
    const node = mathParse('combinations(2000, 1000)');
    recordNumerals(node, 'combinations(2000, 1000)');
    const first = budget();
    exactValue(node, first);
    const second = budget();
    exactValue(node, second);
    expect(second.spent).toBe(first.spent);
    expect(second.spent).toBeGreaterThan(0);
  });
  it('prints trees with their numerals as written', () => {
    const a = mathParse('1e99999 + 1');
    const b = mathParse('1e99998 + 1');
    recordNumerals(a, '1e99999 + 1');
    recordNumerals(b, '1e99998 + 1');
    expect(a.toString()).toBe(b.toString());
    expect(treeText(a)).not.toBe(treeText(b));
  });
});

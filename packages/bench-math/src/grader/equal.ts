/**
 * Equivalence of two parsed answers. Scalars without free variables are
 * compared by value: exactly over rationals when both sides have an exact value
 * (integers, fractions, powers, factorials, binomials of any size up to
 * MAX_BITS), integers then equal only when identical and other values within a
 * relative 1e-8; otherwise in floating point (complex parts each), where a
 * value past the double range, or an exact integer past 2^53 against an
 * approximation, is undecidable and only an identical expression matches.
 * With variables, both sides are evaluated at seeded integer points exactly
 * and at seeded real points in floating point, which decides `2x+3` = `3+2x`
 * and `(a+5)(b+2)` = `ab+2a+5b+10` without a simplifier. Structures compare
 * item by item: tuples/intervals in order with the same brackets, lists and
 * sets in any order.
 *
 * Every comparison is bounded: exact arithmetic by MAX_BITS and a work budget
 * per evaluation, floating-point evaluation by the bounded functions of
 * float-eval.ts, and one `valuesEqual` by a budget of scalar comparisons
 * (when it runs out the answer is "not equal": a grader that cannot decide
 * must not call two values equal).
 */
import { ConstantNode as ConstantNodeCtor, type MathNode } from 'mathjs';
import { mulberry32 } from '@molrl/seeded-random';
import type { MathValue } from './answer.js';
import { COMPARISON_WORK_LIMIT, exactValue, recordNumerals, treeText, type ExactValue } from './exact.js';
import { compile, evaluateFloat, type Compiled, type Num } from './float-eval.js';
import { ExactLimit, fromDouble, isInteger, WorkBudget, type Rational } from './rational.js';

export interface EqualOptions {
  /** Relative tolerance for non-integer values (default 1e-8); a finite number >= 0. */
  relativeTolerance?: number;
}

/** Scalar comparisons one `valuesEqual` may make (lists compare item against item). */
export const MAX_SCALAR_COMPARISONS = 20_000;

/** What one top-level comparison has left to spend: scalar comparisons and evaluation work. */
interface ComparisonBudget {
  scalars: number;
  work: WorkBudget;
}

const newComparisonBudget = (): ComparisonBudget => ({
  scalars: MAX_SCALAR_COMPARISONS,
  work: new WorkBudget(COMPARISON_WORK_LIMIT),
});

function relativeTolerance(options: EqualOptions): number {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`EqualOptions: expected an object, got ${options === null ? 'null' : typeof options}`);
  const rel = options.relativeTolerance ?? 1e-8;
  if (typeof rel !== 'number' || !Number.isFinite(rel) || rel < 0)
    throw new TypeError(`EqualOptions.relativeTolerance: expected a finite number >= 0, got ${String(rel)}`);
  return rel;
}

/** The tolerance as an exact rational, computed once per value (it is the same for every comparison of a call). */
const exactTolerances = new Map<number, Rational>();
function exactTolerance(rel: number): Rational {
  let r = exactTolerances.get(rel);
  if (!r) {
    r = fromDouble(rel)!;
    if (exactTolerances.size < 64) exactTolerances.set(rel, r);
  }
  return r;
}

const ABSOLUTE_TOLERANCE = 1e-12;
const ABSOLUTE_TOLERANCE_INVERSE = 10n ** 12n;

function realClose(a: number, b: number, rel: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b) || !Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 2 ** 53 && Math.abs(b) < 2 ** 53 && Math.abs(a) > 1e6)
    return a === b;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < ABSOLUTE_TOLERANCE;
}

function numClose(a: Num, b: Num, rel: number): boolean {
  if (a.im === 0 && b.im === 0) return realClose(a.re, b.re, rel);
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  const diff = Math.hypot(a.re - b.re, a.im - b.im);
  if (!Number.isFinite(scale) || !Number.isFinite(diff)) return false;
  return diff <= rel * scale || diff < ABSOLUTE_TOLERANCE;
}

const absBig = (x: bigint): bigint => (x < 0n ? -x : x);

/** Two exact rationals: integers equal only when identical; others within `rel` (or 1e-12 absolutely), computed exactly. */
function rationalsClose(a: Rational, b: Rational, rel: Rational): boolean {
  const l = a.n * b.d;
  const r = b.n * a.d;
  if (l === r) return true;
  if (isInteger(a) && isInteger(b)) return false;
  const diff = absBig(l - r);
  const scale = absBig(l) > absBig(r) ? absBig(l) : absBig(r);
  // |a - b| <= rel * max(|a|, |b|), both sides multiplied by a.d * b.d * rel.d > 0.
  if (diff * rel.d <= rel.n * scale) return true;
  return diff * ABSOLUTE_TOLERANCE_INVERSE < a.d * b.d;
}

/** Exact values: a verdict, or null when one side is undefined (1/0) and only an identical expression may match. */
function exactClose(a: ExactValue, b: ExactValue, rel: Rational): boolean | null {
  if (a.kind === 'undefined' || b.kind === 'undefined') return null;
  if (a.kind === 'infinity' || b.kind === 'infinity')
    return a.kind === 'infinity' && b.kind === 'infinity' && a.sign === b.sign;
  return rationalsClose(a.value, b.value, rel);
}

/** The same expression, numeral for numeral: equal whatever its value (the fallback when values are undecidable). */
const sameTree = (a: MathNode, b: MathNode): boolean => treeText(a) === treeText(b);

const isExactBigInteger = (v: ExactValue | null): boolean =>
  v?.kind === 'rational' && isInteger(v.value) && absBig(v.value.n / v.value.d) >= 2n ** 53n;

function constantsEqual(a: MathNode, b: MathNode, ca: Compiled, cb: Compiled, rel: number, work: WorkBudget): boolean {
  const xa = exactValue(a, work);
  const xb = exactValue(b, work);
  if (xa && xb) return exactClose(xa, xb, exactTolerance(rel)) ?? sameTree(a, b);
  // At least one side is only approximately known.
  const fa = evaluateFloat(ca, {}, work);
  const fb = evaluateFloat(cb, {}, work);
  if (!fa || !fb) return sameTree(a, b);
  const finite = (v: Num) => Number.isFinite(v.re) && Number.isFinite(v.im);
  // Past the double range every value looks alike: undecidable.
  if (!finite(fa) || !finite(fb)) return sameTree(a, b);
  // An exact integer past 2^53 is not matched by an approximation, which cannot tell it from its neighbours.
  if (isExactBigInteger(xa) || isExactBigInteger(xb)) return sameTree(a, b);
  return numClose(fa, fb, rel);
}

/** Integer points where both sides are exact must agree exactly (a double cannot tell x + 10^20 from x + 10^20 + 1). */
function disagreeAtIntegerPoints(a: MathNode, b: MathNode, symbols: string[], rel: number, work: WorkBudget): boolean {
  const random = mulberry32(0x1a7e6e5);
  for (let trial = 0; trial < 4; trial++) {
    const scope = new Map<string, Rational>();
    for (const s of symbols) scope.set(s, { n: BigInt(2 + Math.floor(38 * random())), d: 1n });
    const xa = exactValue(a, work, scope);
    const xb = exactValue(b, work, scope);
    if (xa?.kind === 'rational' && xb?.kind === 'rational' && !rationalsClose(xa.value, xb.value, exactTolerance(rel)))
      return true;
  }
  return false;
}

export function exprEqual(a: MathNode, b: MathNode, options: EqualOptions = {}): boolean {
  return scalarEqual(a, b, relativeTolerance(options), newComparisonBudget());
}

/** Two scalars; false once the budget is spent (undecided is not equal). */
function scalarEqual(a: MathNode, b: MathNode, rel: number, budget: ComparisonBudget): boolean {
  if (--budget.scalars < 0 || budget.work.exhausted) return false;
  try {
    return scalarEqualWithin(a, b, rel, budget.work);
  } catch (e) {
    if (e instanceof ExactLimit) return false;
    throw e;
  }
}

function scalarEqualWithin(a: MathNode, b: MathNode, rel: number, work: WorkBudget): boolean {
  let ca: Compiled;
  let cb: Compiled;
  try {
    ca = compile(a);
    cb = compile(b);
  } catch {
    // Too deep to compile (a runaway output): not a match.
    return false;
  }
  const symbols = [...new Set([...ca.symbols, ...cb.symbols])];
  if (symbols.length === 0) return constantsEqual(a, b, ca, cb, rel, work);
  if (disagreeAtIntegerPoints(a, b, symbols, rel, work)) return false;
  // Evaluated over the union of both sides' variables: x+1 and y+1 differ at random points, sin^2 x + cos^2 x and 1 do not.
  const random = mulberry32(0x5eed);
  let agreed = 0;
  for (let trial = 0; trial < 12 && agreed < 5; trial++) {
    const scope: Record<string, number> = {};
    // Positive points away from 0 and 1 keep sqrt/log real and avoid special values.
    for (const s of symbols) scope[s] = 0.31 + 2.4 * random();
    const va = evaluateFloat(ca, scope, work);
    const vb = evaluateFloat(cb, scope, work);
    if (!va || !vb) continue;
    // Past the double range nothing is learnt at this point.
    if (!Number.isFinite(va.re) || !Number.isFinite(vb.re) || !Number.isFinite(va.im) || !Number.isFinite(vb.im))
      continue;
    if (!numClose(va, vb, Math.max(rel, 1e-9))) return false;
    agreed++;
  }
  if (agreed >= 3) return true;
  return sameTree(a, b);
}

function textEqual(a: string, b: string): boolean {
  return a === b;
}

/** Each item of `a` matched to a distinct equal item of `b`. */
function unorderedEqual(a: MathValue[], b: MathValue[], o: Context): boolean {
  if (a.length !== b.length) return false;
  // Numbers in another order: sorted, a matching is found in n comparisons instead of n^2 / 2.
  if (a.length > 2 && sortedEqual(a, b, o)) return true;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    const j = b.findIndex((y, k) => !used[k] && equalWithin(x, y, o));
    if (j < 0) return false;
    used[j] = true;
  }
  return true;
}

/** The real values of constant items, or null when one is not a finite real constant. */
function realKeys(items: MathValue[], work: WorkBudget): number[] | null {
  const keys: number[] = [];
  try {
    for (const item of items) {
      if (item.kind !== 'expr') return null;
      const c = compile(item.node);
      if (c.symbols.length > 0) return null;
      const v = evaluateFloat(c, {}, work);
      if (!v || v.im !== 0 || !Number.isFinite(v.re)) return null;
      keys.push(v.re);
    }
  } catch {
    return null;
  }
  return keys;
}

/** Both lists of constants sorted by value match in order (a matching, so a sound "equal"). */
function sortedEqual(a: MathValue[], b: MathValue[], o: Context): boolean {
  const ka = realKeys(a, o.budget.work);
  const kb = ka && realKeys(b, o.budget.work);
  if (!ka || !kb) return false;
  const byValue = (keys: number[]) => keys.map((_, i) => i).sort((i, j) => keys[i]! - keys[j]!);
  const ia = byValue(ka);
  const ib = byValue(kb);
  return ia.every((i, j) => equalWithin(a[i]!, b[ib[j]!]!, o));
}

function orderedEqual(a: MathValue[], b: MathValue[], o: Context): boolean {
  return a.length === b.length && a.every((x, i) => equalWithin(x, b[i]!, o));
}

function isZero(v: MathValue): boolean {
  return (
    v.kind === 'expr' && v.node.type === 'ConstantNode' && Number((v.node as unknown as { value: unknown }).value) === 0
  );
}

/** l1 - r1 and l2 - r2 are non-zero multiples of each other (the same plane/line/curve). */
function proportionalEquations(
  g: Extract<MathValue, { kind: 'relation' }>,
  p: Extract<MathValue, { kind: 'relation' }>,
  o: Context,
): boolean {
  if (--o.budget.scalars < 0 || o.budget.work.exhausted) return false;
  try {
    return proportionalWithin(g, p, o.budget.work);
  } catch (e) {
    if (e instanceof ExactLimit) return false;
    throw e;
  }
}

function proportionalWithin(
  g: Extract<MathValue, { kind: 'relation' }>,
  p: Extract<MathValue, { kind: 'relation' }>,
  work: WorkBudget,
): boolean {
  if (g.lhs.kind !== 'expr' || g.rhs.kind !== 'expr' || p.lhs.kind !== 'expr' || p.rhs.kind !== 'expr') return false;
  let gl, gr, pl, pr: Compiled;
  try {
    gl = compile(g.lhs.node);
    gr = compile(g.rhs.node);
    pl = compile(p.lhs.node);
    pr = compile(p.rhs.node);
  } catch {
    return false;
  }
  const symbols = [...new Set([...gl.symbols, ...gr.symbols, ...pl.symbols, ...pr.symbols])];
  const gs = new Set([...gl.symbols, ...gr.symbols]);
  const ps = new Set([...pl.symbols, ...pr.symbols]);
  if (gs.size !== ps.size || [...gs].some((s) => !ps.has(s))) return false;
  const random = mulberry32(0xc0ffee);
  let ratio: number | null = null;
  let agreed = 0;
  for (let trial = 0; trial < 12 && agreed < 5; trial++) {
    const scope: Record<string, number> = {};
    for (const s of symbols) scope[s] = -2 + 4.7 * random();
    const a = [gl, gr, pl, pr].map((c) => evaluateFloat(c, scope, work));
    if (a.some((v) => !v || v.im !== 0 || !Number.isFinite(v.re))) continue;
    const dg = a[0]!.re - a[1]!.re;
    const dp = a[2]!.re - a[3]!.re;
    if (Math.abs(dg) < 1e-9 && Math.abs(dp) < 1e-9) continue;
    if (Math.abs(dg) < 1e-9 || Math.abs(dp) < 1e-9) return false;
    const r = dp / dg;
    if (ratio === null) ratio = r;
    else if (!realClose(ratio, r, 1e-7)) return false;
    agreed++;
  }
  return agreed >= 3;
}

/** One comparison's tolerance and what it has left to spend. */
interface Context {
  rel: number;
  budget: ComparisonBudget;
}

export function valuesEqual(g: MathValue, p: MathValue, o: EqualOptions = {}): boolean {
  return equalWithin(g, p, { rel: relativeTolerance(o), budget: newComparisonBudget() });
}

/** valuesEqual for several pairs sharing one budget (verify compares every reading of both sides). */
export function anyValuesEqual(pairs: Iterable<[MathValue, MathValue]>, o: EqualOptions = {}): boolean {
  const context = { rel: relativeTolerance(o), budget: newComparisonBudget() };
  for (const [g, p] of pairs) if (equalWithin(g, p, context)) return true;
  return false;
}

function equalWithin(g: MathValue, p: MathValue, o: Context): boolean {
  switch (g.kind) {
    case 'expr':
      if (p.kind === 'expr') return scalarEqual(g.node, p.node, o.rel, o.budget);
      if (p.kind === 'base') return scalarEqual(g.node, integerNode(p.digits), o.rel, o.budget);
      if ((p.kind === 'set' || p.kind === 'list') && p.items.length === 1) return equalWithin(g, p.items[0]!, o);
      return false;
    case 'text':
      return p.kind === 'text' && textEqual(g.value, p.value);
    case 'choice':
      return p.kind === 'choice' && p.letter === g.letter;
    case 'base':
      if (p.kind === 'base')
        return p.digits.replace(/^0+(?=\d)/, '') === g.digits.replace(/^0+(?=\d)/, '') && p.base === g.base;
      return p.kind === 'expr' && scalarEqual(integerNode(g.digits), p.node, o.rel, o.budget);
    case 'tuple':
      if (p.kind === 'tuple') return p.open === g.open && p.close === g.close && orderedEqual(g.items, p.items, o);
      // A bare list reads as a point, never as an interval: (3,4], [a,b] and (2,\infty) need their brackets.
      if (p.kind === 'list')
        return g.open === '(' && g.close === ')' && !g.items.some(isInfinite) && orderedEqual(g.items, p.items, o);
      if (p.kind === 'matrix') return orderedEqual(g.items, flatVector(p), o);
      return false;
    case 'list':
      if (p.kind === 'list' || p.kind === 'set') return unorderedEqual(g.items, p.items, o);
      if (p.kind === 'tuple' && p.open === '(' && p.close === ')') return orderedEqual(g.items, p.items, o);
      if (g.items.length === 1) return equalWithin(g.items[0]!, p, o);
      return false;
    case 'set':
      if (p.kind === 'set' || p.kind === 'list') return unorderedEqual(g.items, p.items, o);
      if (g.items.length === 1) return equalWithin(g.items[0]!, p, o);
      return false;
    case 'union':
      return p.kind === 'union' && unorderedEqual(g.parts, p.parts, o);
    case 'matrix':
      if (p.kind === 'matrix')
        return p.rows.length === g.rows.length && g.rows.every((r, i) => orderedEqual(r, p.rows[i]!, o));
      if ((p.kind === 'tuple' && p.open === '(') || p.kind === 'list') return orderedEqual(flatVector(g), p.items, o);
      return false;
    case 'relation': {
      if (p.kind !== 'relation') return false;
      if (g.op === '=' && p.op === '=') {
        if (equalWithin(g.lhs, p.lhs, o) && equalWithin(g.rhs, p.rhs, o)) return true;
        if (equalWithin(g.lhs, p.rhs, o) && equalWithin(g.rhs, p.lhs, o)) return true;
        if (isZero(g.rhs) || isZero(p.rhs) || g.lhs.kind === 'expr') return proportionalEquations(g, p, o);
        return false;
      }
      const flip: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
      if (g.op === p.op) return equalWithin(g.lhs, p.lhs, o) && equalWithin(g.rhs, p.rhs, o);
      if (flip[g.op] === p.op) return equalWithin(g.lhs, p.rhs, o) && equalWithin(g.rhs, p.lhs, o);
      return false;
    }
  }
}

/** A matrix with one row or one column as its list of entries (a vector), else []. */
function flatVector(m: Extract<MathValue, { kind: 'matrix' }>): MathValue[] {
  if (m.rows.length === 1) return m.rows[0]!;
  if (m.rows.every((r) => r.length === 1)) return m.rows.map((r) => r[0]!);
  return [];
}

/** The digits of a numeral in another base read as a decimal integer, its text kept for the exact comparison. */
function integerNode(digits: string): MathNode {
  const node = new ConstantNodeCtor(Number(digits));
  recordNumerals(node, digits);
  return node;
}

/** An infinite scalar (\infty, -\infty): a list holding one is an interval's ends, not a point. */
function isInfinite(v: MathValue): boolean {
  return v.kind === 'expr' && /\b(?:Infinity|inf|infty)\b/.test(v.node.toString());
}

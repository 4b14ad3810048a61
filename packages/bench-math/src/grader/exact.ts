/**
 * Exact evaluation of a mathjs expression tree over rationals: integers of any
 * size (up to MAX_BITS), fractions, integer powers, perfect roots, factorials,
 * binomials, gcd/lcm, floor/ceil/abs/min/max. Anything else (pi, sin, a
 * non-perfect root, a complex value) is "not exact" (null) and left to the
 * floating-point comparison. Doubles overflow at 1.8e308 and agree on every
 * value past it; exact values do not, so `10^{400}` and `10^{500}` differ here.
 *
 * mathjs parses numerals into doubles, which loses digits past 2^53 and turns
 * 1e400 into Infinity; `recordNumerals` keeps each numeral's text beside its
 * node so the exact value is the one the answer wrote.
 */
import type { MathNode } from 'mathjs';
import {
  abs,
  add,
  ceil,
  compare,
  divide,
  ExactLimit,
  floor,
  fromDouble,
  gcd,
  isInteger,
  MAX_BITS,
  multiply,
  OPERATION_COST,
  negate,
  parseDecimal,
  power,
  rationalRoot,
  type Rational,
  type WorkBudget,
} from './rational.js';

export type ExactValue =
  | { kind: 'rational'; value: Rational }
  | { kind: 'infinity'; sign: 1 | -1 }
  /** A division by zero or 0 to a negative power: no number at all. */
  | { kind: 'undefined' };

/**
 * Work one comparison may spend on exact and floating-point evaluation, in
 * 64-bit limb products (an operation costs OPERATION_COST more): about 10 to 50 ms here,
 * whatever the answer.
 */
export const COMPARISON_WORK_LIMIT = 1 << 22;

/** Largest n whose n! is computed (2000! has about 19,000 bits, past MAX_BITS anyway). */
const MAX_FACTORIAL = 2000;

const numerals = new WeakMap<MathNode, string>();

/**
 * Remember the numeral text of each ConstantNode of `node`, parsed from
 * `text`. Numerals (and the words Infinity and NaN, which mathjs also parses
 * into constants) appear in the text in the order a pre-order walk meets the
 * constants; a count or value mismatch records nothing.
 */
export function recordNumerals(node: MathNode, text: string): void {
  const written = [
    ...text.matchAll(/(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.])|\b(?:Infinity|NaN)\b/g),
  ].map((m) => m[0]);
  const constants: MathNode[] = [];
  node.traverse((n) => {
    if (n.type === 'ConstantNode') constants.push(n);
  });
  if (constants.length !== written.length) return;
  for (let k = 0; k < constants.length; k++) {
    const value = (constants[k] as unknown as { value: unknown }).value;
    if (typeof value !== 'number' || !Object.is(Number(written[k]), value)) return;
  }
  constants.forEach((c, k) => numerals.set(c, written[k]!));
}

/**
 * The tree as text with each numeral as written (mathjs prints the parsed
 * double, so 1e99999 and 1e99998 would both print "Infinity"): two trees with
 * the same text are the same expression.
 */
export function treeText(node: MathNode): string {
  return node.toString({
    handler: (n: MathNode) => (n.type === 'ConstantNode' ? numerals.get(n) : undefined),
  });
}

/** Scope-free results by tree, with what computing them cost (charged again on a hit, so verdicts never depend on what was computed before). */
const cache = new WeakMap<MathNode, { value: ExactValue | null; cost: number }>();

/**
 * The exact value of `node`, or null when it has none we can compute within
 * MAX_BITS and what is left of `work`. With `scope`, symbols take those
 * values; without, any symbol makes it inexact.
 */
export function exactValue(node: MathNode, work: WorkBudget, scope?: ReadonlyMap<string, Rational>): ExactValue | null {
  const hit = scope ? undefined : cache.get(node);
  try {
    if (hit) {
      work.spend(hit.cost);
      return hit.value;
    }
    const before = work.spent;
    let value: ExactValue | null;
    try {
      value = evaluateExact(node, scope ?? new Map(), work);
    } catch (e) {
      // Too wide to decide exactly (a budget overrun is rethrown: it says nothing about the tree); RangeError: too deep for the stack.
      if (!(e instanceof RangeError) && !(e instanceof ExactLimit && e.reason === 'size')) throw e;
      value = null;
    }
    if (!scope) cache.set(node, { value, cost: work.spent - before });
    return value;
  } catch (e) {
    if (e instanceof ExactLimit) return null;
    throw e;
  }
}

const UNDEFINED: ExactValue = { kind: 'undefined' };
const num = (value: Rational): ExactValue => ({ kind: 'rational', value });

function evaluateExact(node: MathNode, scope: ReadonlyMap<string, Rational>, w: WorkBudget): ExactValue | null {
  const n = node as unknown as {
    type: string;
    value?: unknown;
    name?: string;
    content?: MathNode;
    fn?: string | { name?: string };
    args?: MathNode[];
  };
  switch (n.type) {
    case 'ConstantNode': {
      const text = numerals.get(node);
      if (text === 'Infinity') return { kind: 'infinity', sign: 1 };
      if (text === 'NaN') return UNDEFINED;
      if (text !== undefined) {
        // A numeral too long to hold exactly (1e99999) is inexact, not its overflowed double.
        const exact = parseDecimal(text);
        return exact ? num(exact) : null;
      }
      // A tree parsed elsewhere: a finite double is exact; Infinity may be an overflowed numeral, so it is not.
      const d = typeof n.value === 'number' ? fromDouble(n.value) : null;
      return d ? num(d) : null;
    }
    case 'ParenthesisNode':
      return evaluateExact(n.content!, scope, w);
    case 'SymbolNode': {
      const v = scope.get(n.name!);
      return v ? num(v) : null;
    }
    case 'OperatorNode':
      return operator(n.fn as string, n.args!, scope, w);
    case 'FunctionNode': {
      const name = typeof n.fn === 'object' ? n.fn.name : undefined;
      return name ? call(name, n.args!, scope, w) : null;
    }
    default:
      return null;
  }
}

/** Evaluate every argument; null if one is inexact, 'undefined' if one is undefined, the infinities kept. */
function evaluateArgs(
  args: MathNode[],
  scope: ReadonlyMap<string, Rational>,
  w: WorkBudget,
): ExactValue[] | ExactValue | null {
  const out: ExactValue[] = [];
  for (const a of args) {
    const v = evaluateExact(a, scope, w);
    if (v === null) return null;
    if (v.kind === 'undefined') return UNDEFINED;
    out.push(v);
  }
  return out;
}

/** All arguments finite rationals, or the reason they are not (null / undefined / an infinity: inexact here). */
function rationalArgs(
  args: MathNode[],
  scope: ReadonlyMap<string, Rational>,
  w: WorkBudget,
): Rational[] | ExactValue | null {
  const vs = evaluateArgs(args, scope, w);
  if (!Array.isArray(vs)) return vs;
  if (vs.some((v) => v.kind !== 'rational')) return null;
  return vs.map((v) => (v as { value: Rational }).value);
}

function operator(
  fn: string,
  args: MathNode[],
  scope: ReadonlyMap<string, Rational>,
  w: WorkBudget,
): ExactValue | null {
  if (fn === 'unaryMinus' || fn === 'unaryPlus') {
    const v = evaluateExact(args[0]!, scope, w);
    if (v === null || fn === 'unaryPlus') return v;
    if (v.kind === 'infinity') return { kind: 'infinity', sign: v.sign === 1 ? -1 : 1 };
    return v.kind === 'rational' ? num(negate(v.value)) : v;
  }
  const vs = rationalArgs(args, scope, w);
  if (!Array.isArray(vs)) return vs;
  const [a, b] = vs as [Rational, Rational];
  switch (fn) {
    case 'add':
      return num(vs.slice(1).reduce((s, x) => add(s, x, w), a));
    case 'subtract':
      return num(add(a, negate(b), w));
    case 'multiply':
      return num(vs.slice(1).reduce((s, x) => multiply(s, x, w), a));
    case 'divide': {
      const q = divide(a, b, w);
      return q ? num(q) : UNDEFINED;
    }
    case 'pow':
      return pow(a, b, w);
    case 'factorial':
      return factorial(a, w);
    default:
      return null;
  }
}

/** a ^ b: integer exponents exactly; p/q exponents when a is a perfect q-th power (a >= 0, as mathjs's real branch). */
function pow(a: Rational, b: Rational, w: WorkBudget): ExactValue | null {
  if (isInteger(b)) {
    const p = power(a, b.n / b.d, w);
    return p ? num(p) : UNDEFINED;
  }
  if (a.n < 0n) return null;
  const g = gcd(b.n, b.d, w);
  const q = b.d / g;
  if (q > 64n) return null;
  const root = rationalRoot(a, Number(q), w);
  if (!root) return null;
  const p = power(root, b.n / g, w);
  return p ? num(p) : UNDEFINED;
}

function call(name: string, args: MathNode[], scope: ReadonlyMap<string, Rational>, w: WorkBudget): ExactValue | null {
  const vs = rationalArgs(args, scope, w);
  if (!Array.isArray(vs)) return vs;
  const [a, b] = vs as [Rational, Rational];
  switch (name) {
    case 'sqrt': {
      if (vs.length !== 1 || a.n < 0n) return null;
      const r = rationalRoot(a, 2, w);
      return r ? num(r) : null;
    }
    case 'nthRoot': {
      if (vs.length !== 2 || !isInteger(b) || b.n <= 0n || b.n / b.d > BigInt(MAX_BITS)) return null;
      const r = rationalRoot(a, Number(b.n / b.d), w);
      return r ? num(r) : null;
    }
    case 'abs':
      return vs.length === 1 ? num(abs(a)) : null;
    case 'floor':
      return vs.length === 1 ? num(floor(a, w)) : null;
    case 'ceil':
      return vs.length === 1 ? num(ceil(a, w)) : null;
    case 'max':
    case 'min': {
      if (vs.length === 0) return null;
      const sign = name === 'max' ? 1 : -1;
      return num(vs.reduce((m, x) => (compare(x, m, w) * sign > 0 ? x : m)));
    }
    case 'gcd':
    case 'lcm': {
      if (vs.length < 2 || !vs.every(isInteger)) return null;
      const ints = vs.map((x) => x.n / x.d);
      if (name === 'gcd') return num({ n: ints.reduce((g, x) => gcd(g, x, w)), d: 1n });
      let l = ints[0]!;
      for (const x of ints.slice(1)) {
        if (l === 0n || x === 0n) return num({ n: 0n, d: 1n });
        const m = multiply({ n: l, d: 1n }, { n: x, d: 1n }, w).n;
        l = m / gcd(l, x, w);
        if (l < 0n) l = -l;
      }
      return num({ n: l, d: 1n });
    }
    case 'combinations':
      return vs.length === 2 ? binomial(a, b, w) : null;
    case 'factorial':
      return vs.length === 1 ? factorial(a, w) : null;
    default:
      return null;
  }
}

/** n! for an integer n >= 0 (mathjs's gamma for other values is not exact). */
function factorial(a: Rational, w: WorkBudget): ExactValue | null {
  if (!isInteger(a) || a.n < 0n) return null;
  const k = a.n / a.d;
  if (k > BigInt(MAX_FACTORIAL)) throw new ExactLimit('size', `${k}! is wider than ${MAX_BITS} bits`);
  let f: Rational = { n: 1n, d: 1n };
  for (let i = 2n; i <= k; i++) f = multiply(f, { n: i, d: 1n }, w);
  return num(f);
}

/** C(n, k) for integers 0 <= k <= n (mathjs's domain), one multiply-divide per step up to min(k, n-k). */
function binomial(nr: Rational, kr: Rational, w: WorkBudget): ExactValue | null {
  if (!isInteger(nr) || !isInteger(kr)) return null;
  const n = nr.n / nr.d;
  let k = kr.n / kr.d;
  if (k < 0n || k > n) return null;
  if (n - k < k) k = n - k;
  // C(n, k) >= 2^k for k <= n/2: more than MAX_BITS steps can only overflow.
  if (k > BigInt(MAX_BITS)) throw new ExactLimit('size', `a binomial wider than ${MAX_BITS} bits`);
  let c: Rational = { n: 1n, d: 1n };
  for (let i = 1n; i <= k; i++) {
    c = multiply(c, { n: n - k + i, d: 1n }, w);
    w.spend(OPERATION_COST);
    c = { n: c.n / i, d: 1n }; // exact: the running product is C(n-k+i, i)
  }
  return num(c);
}

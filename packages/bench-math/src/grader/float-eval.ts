/**
 * Floating-point (and complex) evaluation of a mathjs tree, bounded: mathjs's
 * `combinations` loops min(k, n-k) times (`\binom{10^9}{5\cdot10^8}` would run
 * for minutes), so it is replaced for the evaluation by one that answers
 * Infinity once the result must overflow; and floor, ceil, gcd and lcm answer
 * NaN ("unknown") past 2^53, where a double no longer says which integer it is.
 */
import {
  ceil as mathCeil,
  combinations as mathCombinations,
  floor as mathFloor,
  gcd as mathGcd,
  isComplex,
  lcm as mathLcm,
  type EvalFunction,
  type MathNode,
} from 'mathjs';
import type { WorkBudget } from './rational.js';

export interface Num {
  re: number;
  im: number;
}

const CONSTANTS = new Set(['pi', 'e', 'i', 'Infinity', 'E', 'PI', 'NaN']);
export interface Compiled {
  fn: EvalFunction;
  /** The free variables, sorted. */
  symbols: string[];
  /** Nodes in the tree: what one evaluation costs. */
  size: number;
}

const compiled = new WeakMap<MathNode, Compiled>();

/** The compiled tree; throws on a tree mathjs cannot compile (too deep). */
export function compile(node: MathNode): Compiled {
  let c = compiled.get(node);
  if (!c) {
    const symbols = new Set<string>();
    let size = 0;
    node.traverse((n, _path, parent) => {
      size++;
      if (n.type === 'SymbolNode') {
        const name = (n as unknown as { name: string }).name;
        const isCallee = parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === n;
        if (!isCallee && !CONSTANTS.has(name)) symbols.add(name);
      }
    });
    c = { fn: node.compile(), symbols: [...symbols].sort(), size };
    compiled.set(node, c);
  }
  return c;
}

const EXACT_DOUBLE = 2 ** 53;

/** A binomial that overflows: C(n, k) >= C(2m, m) > 2^1024 once m = min(k, n-k) > 1100. */
const OVERFLOWING_BINOMIAL_STEPS = 1100;

function boundedCombinations(n: unknown, k: unknown): unknown {
  if (
    typeof n === 'number' &&
    typeof k === 'number' &&
    Number.isInteger(n) &&
    Number.isInteger(k) &&
    k >= 0 &&
    k <= n
  ) {
    if (n >= EXACT_DOUBLE) return NaN;
    if (Math.min(k, n - k) > OVERFLOWING_BINOMIAL_STEPS) return Infinity;
  }
  return (mathCombinations as (a: unknown, b: unknown) => unknown)(n, k);
}

const unknownPastExact =
  (f: (...args: never[]) => unknown) =>
  (...args: unknown[]): unknown =>
    args.some((a) => typeof a === 'number' && Math.abs(a) >= EXACT_DOUBLE)
      ? NaN
      : (f as (...a: unknown[]) => unknown)(...args);

/** Functions the evaluation scope overrides (mathjs looks a function name up in the scope first). */
const BOUNDED_FUNCTIONS: Record<string, unknown> = {
  combinations: boundedCombinations,
  floor: unknownPastExact(mathFloor as never),
  ceil: unknownPastExact(mathCeil as never),
  gcd: unknownPastExact(mathGcd as never),
  lcm: unknownPastExact(mathLcm as never),
};

function toNum(v: unknown): Num | null {
  if (typeof v === 'number') return { re: v, im: 0 };
  if (typeof v === 'boolean') return null;
  if (isComplex(v)) return { re: (v as { re: number }).re, im: (v as { im: number }).im };
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    const n = (v as { toNumber(): number }).toNumber();
    return typeof n === 'number' ? { re: n, im: 0 } : null;
  }
  return null;
}

/** Work units charged per tree node evaluated (comparable to one exact operation's overhead). */
const NODE_COST = 64;

/**
 * The value with `scope` bound, or null when mathjs throws (a domain error, a
 * stack overflow) or returns a non-number. Charged to `work` by tree size;
 * throws ExactLimit when the budget is spent.
 */
export function evaluateFloat(c: Compiled, scope: Record<string, number>, work: WorkBudget): Num | null {
  work.spend(c.size * NODE_COST);
  try {
    return toNum(c.fn.evaluate({ ...scope, ...BOUNDED_FUNCTIONS }));
  } catch {
    return null;
  }
}

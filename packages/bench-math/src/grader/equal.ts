/**
 * Equivalence of two parsed answers. Scalars are compared numerically: with no
 * free variables, by value (integers exactly, other reals to a relative 1e-8,
 * complex parts each); with variables, by evaluating both at several
 * seeded random points, which decides `2x+3` = `3+2x` and `(a+5)(b+2)` =
 * `ab+2a+5b+10` without a simplifier. Structures compare item by item:
 * tuples/intervals in order with the same brackets, lists and sets in any order.
 */
import { ConstantNode as ConstantNodeCtor, isComplex, type EvalFunction, type MathNode } from 'mathjs';
import { mulberry32 } from '@molrl/seeded-random';
import type { MathValue } from './answer.js';

export interface EqualOptions {
  /** Relative tolerance for non-integer values (default 1e-8). */
  relativeTolerance?: number;
}

const CONSTANTS = new Set(['pi', 'e', 'i', 'Infinity', 'E', 'PI', 'NaN']);
const compiled = new WeakMap<MathNode, { fn: EvalFunction; symbols: string[] }>();

function compile(node: MathNode): { fn: EvalFunction; symbols: string[] } {
  let c = compiled.get(node);
  if (!c) {
    const symbols = new Set<string>();
    node.traverse((n, _path, parent) => {
      if (n.type === 'SymbolNode') {
        const name = (n as unknown as { name: string }).name;
        const isCallee = parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === n;
        if (!isCallee && !CONSTANTS.has(name)) symbols.add(name);
      }
    });
    c = { fn: node.compile(), symbols: [...symbols].sort() };
    compiled.set(node, c);
  }
  return c;
}

interface Num {
  re: number;
  im: number;
}

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

function realClose(a: number, b: number, rel: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  if (Number.isInteger(a) && Number.isInteger(b) && Math.abs(a) < 2 ** 53 && Math.abs(b) < 2 ** 53 && Math.abs(a) > 1e6)
    return a === b;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) || Math.abs(a - b) < 1e-12;
}

function numClose(a: Num, b: Num, rel: number): boolean {
  const scale = Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im));
  if (a.im === 0 && b.im === 0) return realClose(a.re, b.re, rel);
  if (!Number.isFinite(scale)) return false;
  return Math.hypot(a.re - b.re, a.im - b.im) <= rel * scale || Math.hypot(a.re - b.re, a.im - b.im) < 1e-12;
}

function evaluate(fn: EvalFunction, scope: Record<string, number>): Num | null {
  try {
    return toNum(fn.evaluate({ ...scope }));
  } catch {
    return null;
  }
}

export function exprEqual(a: MathNode, b: MathNode, options: EqualOptions = {}): boolean {
  const rel = options.relativeTolerance ?? 1e-8;
  let ca: ReturnType<typeof compile>;
  let cb: ReturnType<typeof compile>;
  try {
    ca = compile(a);
    cb = compile(b);
  } catch {
    // Too deep to compile (a runaway output): not a match.
    return false;
  }
  const symbols = [...new Set([...ca.symbols, ...cb.symbols])];
  if (symbols.length === 0) {
    const va = evaluate(ca.fn, {});
    const vb = evaluate(cb.fn, {});
    if (va && vb) return numClose(va, vb, rel);
    return a.toString() === b.toString();
  }
  // Evaluated over the union of both sides' variables: x+1 and y+1 differ at random points, sin^2 x + cos^2 x and 1 do not.
  const random = mulberry32(0x5eed);
  let agreed = 0;
  for (let trial = 0; trial < 12 && agreed < 5; trial++) {
    const scope: Record<string, number> = {};
    // Positive points away from 0 and 1 keep sqrt/log real and avoid special values.
    for (const s of symbols) scope[s] = 0.31 + 2.4 * random();
    const va = evaluate(ca.fn, scope);
    const vb = evaluate(cb.fn, scope);
    if (!va || !vb) continue;
    if (!Number.isFinite(va.re) && !Number.isFinite(vb.re)) continue;
    if (!numClose(va, vb, Math.max(rel, 1e-9))) return false;
    agreed++;
  }
  if (agreed >= 3) return true;
  return a.toString() === b.toString();
}

function textEqual(a: string, b: string): boolean {
  return a === b;
}

/** Each item of `a` matched to a distinct equal item of `b`. */
function unorderedEqual(a: MathValue[], b: MathValue[], o: EqualOptions): boolean {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    const j = b.findIndex((y, k) => !used[k] && valuesEqual(x, y, o));
    if (j < 0) return false;
    used[j] = true;
  }
  return true;
}

function orderedEqual(a: MathValue[], b: MathValue[], o: EqualOptions): boolean {
  return a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]!, o));
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
): boolean {
  if (g.lhs.kind !== 'expr' || g.rhs.kind !== 'expr' || p.lhs.kind !== 'expr' || p.rhs.kind !== 'expr') return false;
  const gl = compile((g.lhs as { node: MathNode }).node);
  const gr = compile((g.rhs as { node: MathNode }).node);
  const pl = compile((p.lhs as { node: MathNode }).node);
  const pr = compile((p.rhs as { node: MathNode }).node);
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
    const a = [gl, gr, pl, pr].map((c) => evaluate(c.fn, scope));
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

export function valuesEqual(g: MathValue, p: MathValue, o: EqualOptions = {}): boolean {
  switch (g.kind) {
    case 'expr':
      if (p.kind === 'expr') return exprEqual(g.node, p.node, o);
      if (p.kind === 'base') return exprEqual(g.node, parseIntNode(p.digits), o);
      if ((p.kind === 'set' || p.kind === 'list') && p.items.length === 1) return valuesEqual(g, p.items[0]!, o);
      return false;
    case 'text':
      return p.kind === 'text' && textEqual(g.value, p.value);
    case 'choice':
      return p.kind === 'choice' && p.letter === g.letter;
    case 'base':
      if (p.kind === 'base')
        return p.digits.replace(/^0+(?=\d)/, '') === g.digits.replace(/^0+(?=\d)/, '') && p.base === g.base;
      return p.kind === 'expr' && exprEqual(parseIntNode(g.digits), p.node, o);
    case 'tuple':
      if (p.kind === 'tuple') return p.open === g.open && p.close === g.close && orderedEqual(g.items, p.items, o);
      if (p.kind === 'list') return orderedEqual(g.items, p.items, o);
      if (p.kind === 'matrix') return orderedEqual(g.items, flatVector(p), o);
      return false;
    case 'list':
      if (p.kind === 'list' || p.kind === 'set') return unorderedEqual(g.items, p.items, o);
      if (p.kind === 'tuple' && p.open === '(' && p.close === ')') return orderedEqual(g.items, p.items, o);
      if (g.items.length === 1) return valuesEqual(g.items[0]!, p, o);
      return false;
    case 'set':
      if (p.kind === 'set' || p.kind === 'list') return unorderedEqual(g.items, p.items, o);
      if (g.items.length === 1) return valuesEqual(g.items[0]!, p, o);
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
        if (valuesEqual(g.lhs, p.lhs, o) && valuesEqual(g.rhs, p.rhs, o)) return true;
        if (valuesEqual(g.lhs, p.rhs, o) && valuesEqual(g.rhs, p.lhs, o)) return true;
        if (isZero(g.rhs) || isZero(p.rhs) || g.lhs.kind === 'expr') return proportionalEquations(g, p);
        return false;
      }
      const flip: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
      if (g.op === p.op) return valuesEqual(g.lhs, p.lhs, o) && valuesEqual(g.rhs, p.rhs, o);
      if (flip[g.op] === p.op) return valuesEqual(g.lhs, p.rhs, o) && valuesEqual(g.rhs, p.lhs, o);
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

const intNodes = new Map<string, MathNode>();
function parseIntNode(digits: string): MathNode {
  let n = intNodes.get(digits);
  if (!n) {
    n = new ConstantNodeCtor(Number(digits));
    intNodes.set(digits, n);
  }
  return n;
}

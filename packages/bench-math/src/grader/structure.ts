/**
 * One answer string -> its candidate readings (`Answer[]`): normalisation of
 * the notation (thousands separators, units, dollar signs, degrees), then the
 * structure above scalars (intervals, tuples, sets, unions, matrices,
 * equations, ±), then each scalar through `convertExpression` into mathjs.
 */
import { parse as mathParse } from 'mathjs';
import type { Answer, MathValue } from './answer.js';
import { recordNumerals } from './exact.js';
import { convertExpression, ExpressionError } from './expression.js';
import { readBraced, tokenize, type Token } from './tokens.js';

const TRAILING_UNITS =
  /(?<=[\d})\s])\s*(?:square\s+)?(?:units?|cm|centimeters?|centimetres?|meters?|metres?|km|kilometers?|mm|inches|inch|feet|foot|ft|yards?|miles?|mph|degrees?|dollars?|cents?|hours?|minutes?|seconds?|days?|weeks?|years?|sq\.?\s*units|kg|grams?|pounds?|people|students|ways)(?:\s*\^\s*\{?\d\}?|²|³)?\s*$/i;

/** A unit name in \mathrm{} (with its power inside or not); other \mathrm{} contents stay math. */
const MATHRM_UNIT =
  /(?<=[\d})]\s*|\\[,;: ]\s*)\\mathrm\s*\{\s*(cm|mm|km|in|inches|ft|feet|yd|mi|miles|kg|mg|sec|min|hr|hrs|hours?|minutes?|seconds?|days?|units?|degrees?|dollars?|cents?|mph)\s*(\^\s*\{?\d\}?)?\s*\}/g;

/** Two one-sided inequalities on a variable joined by "or" (x < 2 or x > 3). */
const ONE_SIDED = String.raw`[a-zA-Z]\s*(?:<|>|≤|≥|\\(?:le|ge|leq|geq|lt|gt|leqslant|geqslant)(?![a-zA-Z]))[^,<>=]*?`;
const INEQUALITIES_OR = new RegExp(
  String.raw`^\s*(${ONE_SIDED})\s*(?:\\(?:text|textrm|mbox)\{\s*or\s*\}|\s+or\s+)\s*(${ONE_SIDED})\s*$`,
);

/** More top-level ± than this are not expanded (each doubles the readings). */
const MAX_PLUS_MINUS = 4;

/** Longer answers are not parsed as math (their parse trees are deep enough to overflow the stack). */
const MAX_MATH_LENGTH = 2000;

/**
 * Longer answer texts are not normalised or parsed: they are compared as they
 * are (a runaway output, never a final answer). Normalisation runs regular
 * expressions that are quadratic on some inputs; this bounds their cost.
 */
export const MAX_ANSWER_LENGTH = 4000;

/** Normalise notation that has no mathematical meaning (a text longer than MAX_ANSWER_LENGTH is only trimmed). */
export function normalizeAnswerText(raw: string): string {
  if (typeof raw !== 'string') throw new TypeError(`normalizeAnswerText: expected a string, got ${typeof raw}`);
  let s = raw.trim();
  if (s.length > MAX_ANSWER_LENGTH) return s;
  // One space for every run of whitespace: the patterns below that allow
  // whitespace on both sides of a word backtrack cubically over a long run.
  s = s.replace(/\s+/g, ' ');
  // Math delimiters around the whole answer.
  for (let changed = true; changed;) {
    changed = false;
    const before = s;
    s = s.replace(/^\$\$([\s\S]*)\$\$$/, '$1').replace(/^\$([\s\S]*)(?<!\\)\$$/, '$1');
    // "$28$ %": delimiters around the number only.
    s = s.replace(/^\$([^$]*)(?<!\\)\$(\s*(?:%|\\%|percent|pct|\\text\{[^}]*\}|[a-zA-Z ]*))$/, '$1$2');
    s = s.replace(/^\\\(([\s\S]*)\\\)$/, '$1').replace(/^\\\[([\s\S]*)\\\]$/, '$1');
    s = s.trim();
    const boxed = /^\\(?:boxed|fbox)\s*(?=\{)/.exec(s);
    if (boxed) {
      const arg = readBraced(s, boxed[0].length);
      if (arg && arg.end === s.length) s = arg.inner.trim();
    }
    // A sentence-ending period or semicolon (but not a decimal point such as "5.").
    s = s
      .replace(/(?<!\d)[.;]\s*$/, '')
      .replace(/(?<=\D)\.$/, '')
      .trim();
    if (s !== before) changed = true;
  }
  s = s.replace(/\\displaystyle/g, '');
  // Thousands separators: "10,\!080" and "11,\! 111" always; plain "58,500" only outside brackets.
  s = s.replace(/,\\!\s*/g, ',').replace(/\\!/g, '');
  s = s.replace(/\{,\}/g, ',');
  if (
    !/[()[\]{}]/.test(
      s.replace(/\\(?:text|mbox|textbf)\{[^}]*\}/g, '').replace(/\\\$|\\[dt]?frac\{[^}]*\}\{[^}]*\}/g, ''),
    )
  ) {
    s = s.replace(/(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])/g, (m) => m.replace(/,/g, ''));
  }
  if (!s.includes(','))
    s = s.replace(/(?<![\d.])\d{1,3}(?:(?:\\,|\\;|\s)\d{3})+(?![\d])/g, (m) => m.replace(/\\,|\\;|\s/g, ''));
  else s = s.replace(/(?<![\d.])\d{1,3}(?:\\,\d{3})+(?![\d])/g, (m) => m.replace(/\\,/g, ''));
  s = s.replace(/\s*\b(?:percent|percentage|pct)\b\.?/gi, '%');
  // "x < 2 \text{ or } x > 3": the union of the two intervals.
  s = s.replace(INEQUALITIES_OR, '$1 \\cup $2');
  // "x = 2 \text{ or } x = 3", "2 and 3": a list of values.
  if (wholeText(s) === null)
    s = s.replace(/\s*,?\s*\\(?:text|textrm|mbox)\{\s*(?:or|and)\s*\}\s*|\s*,?\s+(?:or|and)\s+/g, ', ');
  // Degrees.
  s = s
    .replace(/\^\s*\{\s*\\circ\s*\}/g, '°')
    .replace(/\^\s*\\circ/g, '°')
    .replace(/\^\s*\{\s*°\s*\}/g, '°');
  // "15\,\mathrm{cm}^2", "15 \mathrm{cm^2}": a unit in \mathrm reads as one in \text.
  s = s.replace(MATHRM_UNIT, (_m, unit: string, power: string | undefined) => `\\text{${unit}}${power ?? ''}`);
  s = s.replace(TRAILING_UNITS, '').trim();
  return s;
}

/** `\text{...}` (or \textbf, \mbox) wrapping the whole string: its content, else null. */
function wholeText(s: string): string | null {
  const m = /^\\(?:text|textbf|textit|textrm|mbox|mathrm|mathbf|textnormal)\s*(?=\{)/.exec(s);
  if (!m) return null;
  const arg = readBraced(s, m[0].length);
  return arg && arg.end === s.length ? arg.inner.trim() : null;
}

function normalizeWords(s: string): string {
  return s
    .toLowerCase()
    .replace(/\\(?:text|textbf|mbox|mathrm)\{([^}]*)\}/g, '$1')
    .trim()
    .replace(/^(?:the|an|a)\s+/, '')
    .replace(/\.$/, '')
    .replace(/[\s{}\\$]/g, '');
}

export function parseAnswerText(raw: string): Answer[] {
  if (typeof raw !== 'string') throw new TypeError(`parseAnswerText: expected a string, got ${typeof raw}`);
  const source = raw;
  let s = normalizeAnswerText(raw);
  if (s === '') return [];
  // A runaway answer: only the identical text matches it.
  if (s.length > MAX_ANSWER_LENGTH) return [{ value: { kind: 'text', value: s }, source }];
  const out: MathValue[] = [];
  const text = wholeText(s);
  if (text !== null) {
    const choice = /^\(?([A-Ea-e])\)?$/.exec(text);
    if (choice) return [{ value: { kind: 'choice', letter: choice[1]!.toUpperCase() }, source }];
    if (/^[A-Za-z][A-Za-z\s'.-]*$/.test(text))
      return [{ value: { kind: 'text', value: normalizeWords(text) }, source }];
    s = text;
  }
  const choice = /^\(([A-Ea-e])\)$/.exec(s) ?? /^([A-Ea-e])$/.exec(s);
  if (choice) out.push({ kind: 'choice', letter: choice[1]!.toUpperCase() });
  // "(B) 12", "\textbf{(B)} 12": the option letter with its content, which names no
  // other option and hedges nothing ("(C), (D)", "(C) or (E)", "(C) is wrong" are no answer).
  const labelled = /^(?:\\text(?:bf)?\{\s*)?\(([A-E])\)\s*\}?\s*(\S[\s\S]*)$/.exec(s);
  if (labelled && !/\(\s*[A-Ea-e]\s*\)|\b(?:or|and|not|no|wrong|incorrect|false)\b/i.test(labelled[2]!))
    out.push({ kind: 'choice', letter: labelled[1]! });
  const base = /^(\d+)_\{?(\d+)\}?$/.exec(s) ?? /^(\d+)_\{?\\text\{\s*(\d+)\s*\}\}?$/.exec(s);
  if (base) return [{ value: { kind: 'base', digits: base[1]!, base: base[2]! }, source }];
  if (/^[A-Za-z][A-Za-z\s'-]+$/.test(s) && /[a-z]{2}/i.test(s)) out.push({ kind: 'text', value: normalizeWords(s) });
  try {
    // Runaway outputs (thousands of characters in a box) are compared as text only.
    if (s.length > MAX_MATH_LENGTH) throw new ExpressionError(`answer longer than ${MAX_MATH_LENGTH} characters`);
    out.push(...parseTokens(tokenize(s)));
  } catch {
    // Not math we can read (unknown commands, prose, mathjs syntax or stack errors): the text reading below still compares.
  }
  if (out.length === 0) out.push({ kind: 'text', value: normalizeWords(s) });
  return out.map((value) => ({ value, source }));
}

// ---------------------------------------------------------------- structure

function depthSplit(tokens: Token[], isSep: (t: Token) => boolean): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.t === 'open' || (t.t === 'env' && t.begin) || (t.t === 'cmd' && (t.v === 'lfloor' || t.v === 'lceil')))
      depth++;
    else if (t.t === 'close' || (t.t === 'env' && !t.begin) || (t.t === 'cmd' && (t.v === 'rfloor' || t.v === 'rceil')))
      depth--;
    if (depth === 0 && isSep(t)) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

const isOp =
  (...ops: string[]) =>
  (t: Token) =>
    t.t === 'op' && ops.includes(t.v);
const RELATIONS = ['=', '<', '>', '<=', '>=', '!='];

/** Index of the token closing the bracket opened at `start`, or -1. */
function matchingClose(tokens: Token[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.t === 'open') depth++;
    else if (t.t === 'close') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The single reading of a piece inside a structure (lists, intervals): its first candidate. */
function one(tokens: Token[]): MathValue {
  const c = parseTokens(tokens);
  if (c.length === 0) throw new ExpressionError('empty item');
  return c[0]!;
}

/** Items of a list; ± inside an item expands into two items; `x = 1` items become 1. */
function items(parts: Token[][]): MathValue[] {
  const out: MathValue[] = [];
  for (const p of parts) {
    if (p.length === 0) throw new ExpressionError('empty item in a list');
    const v = one(p);
    if (v.kind === 'set' && p.some(isOp('±', '∓')) && !p.some((t) => t.t === 'open' && t.v === '\\{'))
      out.push(...v.items);
    else if (v.kind === 'relation' && v.op === '=' && isName(v.lhs)) out.push(v.rhs);
    else out.push(v);
  }
  return out;
}

/** A variable or a function of variables: x, x_1, f(x), p(x, y). */
function isName(v: MathValue): boolean {
  if (v.kind !== 'expr') return false;
  const n = v.node;
  if (n.type === 'SymbolNode') return !['pi', 'e', 'i', 'Infinity'].includes((n as unknown as { name: string }).name);
  if (n.type === 'FunctionNode') {
    const f = n as unknown as { fn: { name?: string }; args: Array<{ type: string }> };
    return !!f.fn.name && f.fn.name.length === 1 && f.args.every((a) => a.type === 'SymbolNode');
  }
  // f(x) arrives as f*(x) after implicit multiplication.
  if (n.type === 'OperatorNode') {
    const o = n as unknown as { fn: string; args: Array<{ type: string; name?: string; content?: { type: string } }> };
    return (
      o.fn === 'multiply' &&
      o.args.length === 2 &&
      o.args[0]!.type === 'SymbolNode' &&
      o.args[1]!.type === 'ParenthesisNode' &&
      o.args[1]!.content?.type === 'SymbolNode'
    );
  }
  return false;
}

/** A part of a union: an interval, or an inequality on a variable read as its interval (x < 2). */
function unionPart(tokens: Token[]): MathValue {
  const c = parseTokens(tokens);
  if (c.length === 0) throw new ExpressionError('empty part of a union');
  const first = c[0]!;
  if (first.kind === 'relation' && first.op !== '=' && first.op !== '!=') {
    const interval = c.find((v) => v.kind === 'tuple');
    if (interval) return interval;
  }
  return first;
}

function scalar(tokens: Token[]): MathValue[] {
  const conv = convertExpression(tokens);
  const node = mathParse(conv.text);
  recordNumerals(node, conv.text);
  const v: MathValue = { kind: 'expr', node, text: conv.text };
  if (conv.percent) {
    const frac = `(${conv.text})/100`;
    const fracNode = mathParse(frac);
    recordNumerals(fracNode, frac);
    return [v, { kind: 'expr', node: fracNode, text: frac }];
  }
  return [v];
}

const FLIPPED: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

/** (x, y): a tuple of variable names, the left side of `(x, y) = (1, 2)`. */
function isNameTuple(v: MathValue): boolean {
  return v.kind === 'tuple' && v.open === '(' && v.close === ')' && v.items.length > 1 && v.items.every(isName);
}

const INF: Token = { t: 'id', v: 'Infinity' };

export function parseTokens(tokens: Token[]): MathValue[] {
  if (tokens.length === 0) return [];
  if (tokens.length === 1 && tokens[0]!.t === 'id' && tokens[0]!.v === '∅') return [{ kind: 'set', items: [] }];
  // Matrices.
  const first = tokens[0]!;
  const last = tokens[tokens.length - 1]!;
  if (first.t === 'env' && first.begin && last.t === 'env' && !last.begin && /matrix$|^array$/.test(first.v)) {
    let body = tokens.slice(1, -1);
    // \begin{array}{cc}: the column spec is layout.
    if (first.v === 'array' && body[0]?.t === 'open' && body[0].v === '{')
      body = body.slice(matchingClose(body, 0) + 1);
    const rows = depthSplit(body, (t) => t.t === 'row').filter((r) => r.length > 0);
    return [{ kind: 'matrix', rows: rows.map((r) => depthSplit(r, (t) => t.t === 'amp').map(one)) }];
  }
  // A matrix in parentheses or brackets (\left(\begin{array}...\end{array}\right)).
  if (
    first.t === 'open' &&
    (first.v === '(' || first.v === '[') &&
    matchingClose(tokens, 0) === tokens.length - 1 &&
    tokens[1]?.t === 'env' &&
    matchingEnd(tokens, 1) === tokens.length - 2
  ) {
    return parseTokens(tokens.slice(1, -1));
  }
  // "\frac{3840}{289} \approx 13.29": the exact value before the approximation ("x \approx 13.29": the value).
  const approxParts = depthSplit(tokens, isOp('≈'));
  if (approxParts.length > 1) {
    if (approxParts.some((p) => p.length === 0)) throw new ExpressionError('an empty side of ≈');
    const head = parseTokens(approxParts[0]!);
    if (head.length > 0 && !head.some(isName)) return head;
    if (approxParts.length === 2) return parseTokens(approxParts[1]!);
    throw new ExpressionError('a chain of ≈');
  }
  // x \in S: the set S.
  const inParts = depthSplit(tokens, isOp('∈'));
  if (inParts.length === 2) return parseTokens(inParts[1]!);
  // Unions.
  const unionParts = depthSplit(tokens, isOp('∪'));
  if (unionParts.length > 1) return [{ kind: 'union', parts: unionParts.map(unionPart) }];
  // Comma lists without brackets.
  const commaParts = depthSplit(tokens, isOp(','));
  if (commaParts.length > 1) {
    if (commaParts[commaParts.length - 1]!.length === 0) commaParts.pop();
    return [{ kind: 'list', items: items(commaParts) }];
  }
  // Relations.
  const relParts = depthSplit(tokens, (t) => t.t === 'op' && RELATIONS.includes(t.v));
  if (relParts.length > 1) {
    const topOps = topLevelOps(tokens);
    if (relParts.length === 3 && topOps.every((o) => o === '<' || o === '<=')) {
      // a < x < b: the interval.
      return [
        {
          kind: 'tuple',
          open: topOps[0] === '<' ? '(' : '[',
          close: topOps[1] === '<' ? ')' : ']',
          items: [one(relParts[0]!), one(relParts[2]!)],
        },
      ];
    }
    if (relParts.length === 3 && topOps.every((o) => o === '>' || o === '>=')) {
      return [
        {
          kind: 'tuple',
          open: topOps[1] === '>' ? '(' : '[',
          close: topOps[0] === '>' ? ')' : ']',
          items: [one(relParts[2]!), one(relParts[0]!)],
        },
      ];
    }
    if (topOps.every((o) => o === '=')) {
      // x = y = 5: the last side is the value.
      const lhs = one(relParts[0]!);
      const rhsCandidates = parseTokens(relParts[relParts.length - 1]!);
      const out: MathValue[] = [];
      if (relParts.length === 2 && rhsCandidates[0])
        out.push({ kind: 'relation', op: '=', lhs, rhs: rhsCandidates[0] });
      if (isName(lhs)) out.push(...rhsCandidates);
      // (x, y) = (15, -29): the values, when they are as many as the names.
      else if (isNameTuple(lhs) && relParts.length === 2)
        for (const r of rhsCandidates)
          if (
            r.kind === 'tuple' &&
            lhs.kind === 'tuple' &&
            r.open === '(' &&
            r.close === ')' &&
            r.items.length === lhs.items.length
          )
            out.push(r);
      return out;
    }
    if (relParts.length === 2) {
      const op = topOps[0]!;
      const lhs = one(relParts[0]!);
      const rhs = one(relParts[1]!);
      const out: MathValue[] = [{ kind: 'relation', op, lhs, rhs }];
      // 2 < x: the same interval as x > 2.
      if (!isName(lhs) && isName(rhs) && op !== '!=')
        return [...out, ...parseTokens([...relParts[1]!, { t: 'op', v: FLIPPED[op]! }, ...relParts[0]!]).slice(1)];
      if (isName(lhs) && op !== '!=') {
        const lo = op === '<' || op === '<=';
        const closed = op.endsWith('=');
        out.push(
          lo
            ? { kind: 'tuple', open: '(', close: closed ? ']' : ')', items: [one([{ t: 'op', v: '-' }, INF]), rhs] }
            : { kind: 'tuple', open: closed ? '[' : '(', close: ')', items: [rhs, one([INF])] },
        );
      }
      return out;
    }
    throw new ExpressionError('a chain of relations');
  }
  // Brackets around the whole: set, tuple or interval.
  if (first.t === 'open' && last.t === 'close' && matchingClose(tokens, 0) === tokens.length - 1) {
    const inner = tokens.slice(1, -1);
    const parts = depthSplit(inner, isOp(','));
    if (first.v === '\\{') return [{ kind: 'set', items: inner.length === 0 ? [] : items(parts) }];
    if (parts.length > 1 && (first.v === '(' || first.v === '[') && (last.v === ')' || last.v === ']')) {
      return [{ kind: 'tuple', open: first.v, close: last.v as ')' | ']', items: items(parts) }];
    }
  }
  // An interval with mismatched brackets, (3,4] or [a, b): the matcher above does not pair them.
  if (
    first.t === 'open' &&
    (first.v === '(' || first.v === '[') &&
    last.t === 'close' &&
    (last.v === ')' || last.v === ']')
  ) {
    const inner = tokens.slice(1, -1);
    const parts = depthSplit(inner, isOp(','));
    if (parts.length === 2 && parts.every((p) => p.length > 0)) {
      return [{ kind: 'tuple', open: first.v, close: last.v, items: items(parts) }];
    }
  }
  // ± at the top: two values (each ± doubles the readings: a few at most).
  const isPm = (t: Token, i: number) => t.t === 'op' && (t.v === '±' || t.v === '∓') && topLevel(tokens, i);
  const pmIndex = tokens.findIndex(isPm);
  if (pmIndex >= 0) {
    if (tokens.filter(isPm).length > MAX_PLUS_MINUS)
      throw new ExpressionError(`more than ${MAX_PLUS_MINUS} ± signs (2^n readings)`);
    const plus = tokens.map((t, i) => (i === pmIndex ? ({ t: 'op', v: '+' } as Token) : t));
    const minus = tokens.map((t, i) => (i === pmIndex ? ({ t: 'op', v: '-' } as Token) : t));
    return [{ kind: 'set', items: [...items([plus]), ...items([minus])] }];
  }
  return scalar(tokens);
}

/** Index of the \end closing the \begin at `start`, or -1. */
function matchingEnd(tokens: Token[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.t !== 'env') continue;
    depth += t.begin ? 1 : -1;
    if (depth === 0) return i;
  }
  return -1;
}

function topLevel(tokens: Token[], index: number): boolean {
  let depth = 0;
  for (let i = 0; i < index; i++) {
    const t = tokens[i]!;
    if (t.t === 'open') depth++;
    else if (t.t === 'close') depth--;
  }
  return depth === 0;
}

function topLevelOps(tokens: Token[]): string[] {
  return tokens
    .filter((t, i) => t.t === 'op' && RELATIONS.includes(t.v) && topLevel(tokens, i))
    .map((t) => (t as { v: string }).v);
}

/**
 * Token range -> a mathjs expression string, with implicit multiplication made
 * explicit (`2x` -> `2*x`, `(a+5)(b+2)` -> `(a+5)*(b+2)`), mixed numbers
 * (`1\frac{4}{5}` -> `(1+4/5)`), and the LaTeX constructs final answers use.
 * Structure above one scalar (lists, intervals, equations) is handled by the
 * caller; this file sees one expression.
 */
import type { Token } from './tokens.js';

export class ExpressionError extends Error {}

export interface Converted {
  /** mathjs syntax. */
  text: string;
  /** A percent sign was dropped. */
  percent: boolean;
  /** A degree sign was dropped. */
  degrees: boolean;
}

/** Words in \text{} after a number that are units, dropped as Math-Verify drops them. */
const UNIT_WORD = /^\s*[a-zA-Z][a-zA-Z.\s]*$/;

const FUNCTION_NAMES: Record<string, string> = { ln: 'log', arcsin: 'asin', arccos: 'acos', arctan: 'atan' };

export function convertExpression(tokens: readonly Token[]): Converted {
  const conv = new Converter([...tokens]);
  const text = conv.sequence(null);
  if (conv.pos < conv.tokens.length) throw new ExpressionError(`unexpected ${describe(conv.tokens[conv.pos]!)}`);
  if (text.trim() === '') throw new ExpressionError('empty expression');
  return { text, percent: conv.percent, degrees: conv.degrees };
}

function describe(t: Token): string {
  return 'v' in t ? `${t.t} "${t.v}"` : t.t;
}

const CLOSER: Record<string, string[]> = { '(': [')', ']'], '[': [']', ')'], '{': ['}'], '\\{': ['\\}'] };

class Converter {
  pos = 0;
  percent = false;
  degrees = false;
  constructor(readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  /** Convert until a closing token from `closers` (not consumed) or the end. */
  sequence(closers: string[] | null): string {
    const parts: string[] = [];
    let lastOperand = false;
    /** A unit was dropped: only more units may follow ("2 cm by 3 cm" is no product). */
    let afterUnit = false;
    const pushOperand = (s: string) => {
      if (lastOperand) parts.push('*');
      parts.push(s);
      lastOperand = true;
    };
    while (this.pos < this.tokens.length) {
      const t = this.peek()!;
      if (t.t === 'close') {
        if (closers && closers.includes(t.v)) break;
        throw new ExpressionError(`unbalanced "${t.v}"`);
      }
      if (t.t === 'cmd' && (t.v === 'rfloor' || t.v === 'rceil')) {
        if (closers && closers.includes(t.v)) break;
        throw new ExpressionError(`unbalanced \\${t.v}`);
      }
      if (afterUnit && t.t !== 'text') throw new ExpressionError(`${describe(t)} after a unit`);
      this.pos++;
      switch (t.t) {
        case 'num': {
          // Mixed number: an integer directly followed by \frac{int}{int}.
          const next = this.peek();
          if (
            /^\d+$/.test(t.v) &&
            next?.t === 'cmd' &&
            next.v === 'frac' &&
            parts[parts.length - 1] !== '^' &&
            parts[parts.length - 1] !== '/'
          ) {
            const save = this.pos;
            this.pos++;
            const a = this.argument();
            const b = this.argument();
            if (/^\(?\d+\)?$/.test(a) && /^\(?\d+\)?$/.test(b)) {
              pushOperand(`(${t.v}+${a}/${b})`);
              break;
            }
            this.pos = save;
          }
          pushOperand(normalizeNumber(t.v));
          break;
        }
        case 'id': {
          let name = t.v === 'Infinity' ? 'Infinity' : t.v;
          if (this.peek()?.t === 'op' && (this.peek() as { v: string }).v === '_') {
            this.pos++;
            const sub = this.rawArgument();
            name = `${name}_${sub}`;
          }
          pushOperand(name);
          break;
        }
        case 'fn':
          pushOperand(this.functionCall(t.v));
          break;
        case 'cmd':
          pushOperand(this.command(t.v));
          break;
        case 'open': {
          const inner = this.sequence(CLOSER[t.v]!);
          const close = this.peek();
          if (!close || close.t !== 'close') throw new ExpressionError(`"${t.v}" is never closed`);
          this.pos++;
          pushOperand(`(${inner})`);
          break;
        }
        case 'op': {
          const v = t.v;
          if (v === '%') {
            this.percent = true;
            break;
          }
          if (v === '°') {
            this.degrees = true;
            break;
          }
          if (v === '^') {
            const nx = this.peek();
            if (nx?.t === 'op' && nx.v === '°') {
              this.pos++;
              this.degrees = true;
              break;
            }
            if (!lastOperand) throw new ExpressionError('"^" without a base');
            // A brace-less exponent takes the whole number: plain-text answers write 2^10 for 2^{10}.
            const exp = this.peek();
            if (exp?.t === 'num') {
              this.pos++;
              parts.push('^', `(${normalizeNumber(exp.v)})`);
            } else parts.push('^', `(${this.argument()})`);
            lastOperand = true;
            break;
          }
          if (v === '!') {
            if (!lastOperand) throw new ExpressionError('"!" without an operand');
            parts.push('!');
            break;
          }
          if (v === '|') {
            // |x|: the absolute value runs to the next "|" at this depth.
            let depth = 0;
            let end = this.pos;
            while (end < this.tokens.length) {
              const x = this.tokens[end]!;
              if (x.t === 'open') depth++;
              else if (x.t === 'close') depth--;
              else if (depth === 0 && x.t === 'op' && x.v === '|') break;
              end++;
            }
            if (end >= this.tokens.length) throw new ExpressionError('"|" is never closed');
            const sub = new Converter(this.tokens.slice(this.pos, end));
            const inner = sub.sequence(null);
            this.pos = end + 1;
            pushOperand(`abs(${inner})`);
            break;
          }
          if (v === '+' || v === '-' || v === '*' || v === '/') {
            parts.push(v);
            lastOperand = false;
            break;
          }
          throw new ExpressionError(`operator "${v}" inside an expression`);
        }
        case 'text': {
          if (t.v.trim() === '') break;
          // A unit follows a value and ends the expression ("\text{at most } 5", "5 \text{ to } 7" are not 5 and 35).
          if (!UNIT_WORD.test(t.v) || !lastOperand) throw new ExpressionError(`text "${t.v}" inside an expression`);
          afterUnit = true;
          // A unit: drop it and a power on it (cm^2).
          const nx = this.peek();
          if (nx?.t === 'op' && nx.v === '^') {
            this.pos++;
            this.argument();
          }
          break;
        }
        default:
          throw new ExpressionError(`unexpected ${describe(t)}`);
      }
    }
    return parts.join(' ');
  }

  /** One argument: a {group}, one digit of a longer number (\frac34), or one token. */
  argument(): string {
    const t = this.peek();
    if (!t) throw new ExpressionError('missing argument');
    if (t.t === 'open' && t.v === '{') {
      this.pos++;
      const inner = this.sequence(['}']);
      this.pos++;
      if (inner.trim() === '') throw new ExpressionError('empty {} argument');
      return `(${inner})`;
    }
    if (t.t === 'num' && t.v.length > 1 && /^\d+$/.test(t.v)) {
      this.tokens[this.pos] = { t: 'num', v: t.v.slice(1) };
      return t.v[0]!;
    }
    this.pos++;
    if (t.t === 'num') return normalizeNumber(t.v);
    if (t.t === 'id') return t.v;
    if (t.t === 'cmd') return this.command(t.v);
    if (t.t === 'fn') return this.functionCall(t.v);
    if (t.t === 'op' && t.v === '-') return `-${this.argument()}`;
    throw new ExpressionError(`unexpected ${describe(t)} as an argument`);
  }

  /** A subscript as a name part: x_1, x_{12}, a_n. */
  rawArgument(): string {
    const t = this.peek();
    if (t?.t === 'open' && t.v === '{') {
      this.pos++;
      let s = '';
      while (this.peek() && !(this.peek()!.t === 'close' && (this.peek() as { v: string }).v === '}')) {
        const x = this.tokens[this.pos++]!;
        if (x.t !== 'num' && x.t !== 'id') throw new ExpressionError('a subscript that is not a name');
        s += x.v;
      }
      this.pos++;
      return s;
    }
    if (t?.t === 'num') {
      this.pos++;
      return t.v;
    }
    if (t?.t === 'id') {
      this.pos++;
      return t.v;
    }
    throw new ExpressionError('a subscript that is not a name');
  }

  private command(name: string): string {
    switch (name) {
      case 'frac': {
        const a = this.argument();
        const b = this.argument();
        return `(${a}/${b})`;
      }
      case 'sqrt': {
        const t = this.peek();
        if (t?.t === 'open' && t.v === '[') {
          this.pos++;
          const n = this.sequence([']']);
          this.pos++;
          return `nthRoot(${this.argument()}, ${n})`;
        }
        return `sqrt(${this.argument()})`;
      }
      case 'binom': {
        const a = this.argument();
        const b = this.argument();
        return `combinations(${a}, ${b})`;
      }
      case 'lfloor':
      case 'lceil': {
        const inner = this.sequence([name === 'lfloor' ? 'rfloor' : 'rceil']);
        this.pos++;
        return `${name === 'lfloor' ? 'floor' : 'ceil'}(${inner})`;
      }
      case 'boxed':
      case 'fbox':
        return `(${this.argument()})`;
      default:
        throw new ExpressionError(`\\${name} is not supported in an expression`);
    }
  }

  /** sin x, \sin^2 x, \log_2 8, \sqrt(x), f-style calls with parentheses. */
  private functionCall(fn: string): string {
    let power: string | null = null;
    let base: string | null = null;
    for (let k = 0; k < 2; k++) {
      const t = this.peek();
      if (t?.t === 'op' && t.v === '^' && power === null) {
        this.pos++;
        power = this.argument();
      } else if (t?.t === 'op' && t.v === '_' && base === null) {
        this.pos++;
        base = this.argument();
      }
    }
    const t = this.peek();
    let arg: string;
    if (t?.t === 'open' && (t.v === '(' || t.v === '{' || t.v === '[')) {
      this.pos++;
      arg = this.sequence(CLOSER[t.v]!);
      this.pos++;
    } else {
      // Without parentheses the argument runs to the next + or - or function (\sin 2x = sin(2x), \sin x \cos x = sin(x) cos(x)).
      const start = this.pos;
      let depth = 0;
      let end = start;
      while (end < this.tokens.length) {
        const x = this.tokens[end]!;
        if (x.t === 'open') depth++;
        else if (x.t === 'close') {
          if (depth === 0) break;
          depth--;
        } else if (
          depth === 0 &&
          end > start &&
          ((x.t === 'op' && ['+', '-', '=', ',', '<', '>', '<=', '>=', '±'].includes(x.v)) || x.t === 'fn')
        )
          break;
        end++;
      }
      if (end === start) throw new ExpressionError(`${fn} without an argument`);
      const sub = new Converter(this.tokens.slice(start, end));
      arg = sub.sequence(null);
      this.percent ||= sub.percent;
      this.degrees ||= sub.degrees;
      this.pos = end;
    }
    const name = FUNCTION_NAMES[fn] ?? fn;
    const call = base !== null && fn === 'log' ? `log(${arg}, ${base})` : `${name}(${arg})`;
    return power !== null ? `(${call}^(${power}))` : call;
  }
}

function normalizeNumber(v: string): string {
  return v.startsWith('.') ? '0' + v : v.endsWith('.') ? v.slice(0, -1) : v;
}

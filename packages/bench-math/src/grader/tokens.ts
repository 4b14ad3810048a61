/**
 * A tokenizer for the LaTeX (and plain-text) math that appears in final
 * answers. It knows the commands answers use, not all of TeX: anything it does
 * not know becomes an `unknown` token so the caller can fall back to a string
 * comparison instead of guessing.
 */

export type Token =
  | { t: 'num'; v: string }
  | { t: 'id'; v: string }
  | { t: 'fn'; v: string }
  | { t: 'cmd'; v: string }
  | { t: 'op'; v: string }
  | { t: 'open'; v: string }
  | { t: 'close'; v: string }
  | { t: 'text'; v: string }
  | { t: 'env'; v: string; begin: boolean }
  | { t: 'amp' }
  | { t: 'row' }
  | { t: 'unknown'; v: string };

/** Functions written as \name in LaTeX or as a plain word. */
export const FUNCTIONS = new Set([
  'sin',
  'cos',
  'tan',
  'cot',
  'sec',
  'csc',
  'arcsin',
  'arccos',
  'arctan',
  'sinh',
  'cosh',
  'tanh',
  'ln',
  'log',
  'exp',
  'sqrt',
  'gcd',
  'lcm',
  'max',
  'min',
  'abs',
  'floor',
  'ceil',
]);

const GREEK = new Set([
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'varepsilon',
  'zeta',
  'eta',
  'theta',
  'vartheta',
  'iota',
  'kappa',
  'lambda',
  'mu',
  'nu',
  'xi',
  'rho',
  'sigma',
  'tau',
  'upsilon',
  'phi',
  'varphi',
  'chi',
  'psi',
  'omega',
  'Gamma',
  'Delta',
  'Theta',
  'Lambda',
  'Xi',
  'Sigma',
  'Phi',
  'Psi',
  'Omega',
]);

/** Commands that take brace arguments and become structure or a function. */
const STRUCTURAL = new Set([
  'frac',
  'sqrt',
  'binom',
  'boxed',
  'fbox',
  'lfloor',
  'rfloor',
  'lceil',
  'rceil',
  'overline',
]);

/** Commands that mean an operator or relation. */
const OPERATORS: Record<string, string> = {
  cdot: '*',
  times: '*',
  ast: '*',
  div: '/',
  pm: '±',
  mp: '∓',
  cup: '∪',
  cap: '∩',
  in: '∈',
  le: '<=',
  leq: '<=',
  leqslant: '<=',
  ge: '>=',
  geq: '>=',
  geqslant: '>=',
  lt: '<',
  gt: '>',
  ne: '!=',
  neq: '!=',
  setminus: '\\',
  to: '→',
  rightarrow: '→',
  implies: '⇒',
  Rightarrow: '⇒',
  colon: ':',
  mid: '|',
  vert: '|',
  lvert: '|',
  rvert: '|',
  approx: '≈',
};

/** Commands that carry no meaning in an answer (spacing, sizing, style). */
const IGNORED = new Set([
  'left',
  'right',
  'big',
  'Big',
  'bigg',
  'Bigg',
  'bigl',
  'bigr',
  'Bigl',
  'Bigr',
  'biggl',
  'biggr',
  'displaystyle',
  'textstyle',
  'scriptstyle',
  'quad',
  'qquad',
  'limits',
  'nolimits',
  'hfill',
  'phantom',
  'mathrm',
  'mathbf',
  'mathit',
  'boldsymbol',
  'bf',
  'rm',
  'it',
  'mathnormal',
]);

/** Commands whose brace argument is text (units, words, choice letters). */
const TEXT_COMMANDS = new Set([
  'text',
  'textbf',
  'textit',
  'textrm',
  'texttt',
  'mbox',
  'textnormal',
  'operatorname',
  'emph',
  'textsf',
]);

export class LatexTokenError extends Error {}

/** Read a balanced `{...}` starting at s[i] === '{'; returns the inside and the index after '}'. */
export function readBraced(s: string, i: number): { inner: string; end: number } | null {
  if (s[i] !== '{') return null;
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return { inner: s.slice(i + 1, j), end: j + 1 };
    }
  }
  return null;
}

export function tokenize(input: string): Token[] {
  const s = input;
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    // Numbers: 12, 3.5, .25, 1e-5 (scientific notation only directly after digits).
    const num = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+(?![a-zA-Z]))?/.exec(s.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      const word = /^[a-zA-Z]+/.exec(s.slice(i))![0];
      out.push(...plainWord(word));
      i += word.length;
      continue;
    }
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined) throw new LatexTokenError('a lone backslash at the end');
      if (next === '{' || next === '}') {
        out.push(next === '{' ? { t: 'open', v: '\\{' } : { t: 'close', v: '\\}' });
        i += 2;
        continue;
      }
      if (next === '\\') {
        out.push({ t: 'row' });
        i += 2;
        continue;
      }
      if (!/[a-zA-Z]/.test(next)) {
        // \, \! \; \: \  are spaces; \% \$ \# are literal signs.
        if (next === '%') out.push({ t: 'op', v: '%' });
        else if (next === '$' || /[,!;: ]/.test(next)) {
          /* spacing or a currency sign: no meaning */
        } else out.push({ t: 'unknown', v: '\\' + next });
        i += 2;
        continue;
      }
      const name = /^[a-zA-Z]+/.exec(s.slice(i + 1))![0];
      i += 1 + name.length;
      if (TEXT_COMMANDS.has(name)) {
        while (s[i] === ' ') i++;
        const arg = readBraced(s, i);
        if (!arg) throw new LatexTokenError(`\\${name} without a {...} argument`);
        i = arg.end;
        if (name === 'operatorname') out.push(...plainWord(arg.inner.trim()));
        else out.push({ t: 'text', v: arg.inner });
        continue;
      }
      if (name === 'begin' || name === 'end') {
        const arg = readBraced(s, i);
        if (!arg) throw new LatexTokenError(`\\${name} without an environment name`);
        i = arg.end;
        out.push({ t: 'env', v: arg.inner.replace(/\*$/, ''), begin: name === 'begin' });
        continue;
      }
      if (name === 'dfrac' || name === 'tfrac' || name === 'cfrac') out.push({ t: 'cmd', v: 'frac' });
      else if (name === 'dbinom' || name === 'tbinom') out.push({ t: 'cmd', v: 'binom' });
      else if (STRUCTURAL.has(name)) out.push({ t: 'cmd', v: name });
      else if (name === 'pi') out.push({ t: 'id', v: 'pi' });
      else if (name === 'infty' || name === 'infin') out.push({ t: 'id', v: 'Infinity' });
      else if (name === 'circ' || name === 'degree') out.push({ t: 'op', v: '°' });
      else if (name === 'emptyset' || name === 'varnothing') out.push({ t: 'id', v: '∅' });
      else if (name === 'lbrace') out.push({ t: 'open', v: '\\{' });
      else if (name === 'rbrace') out.push({ t: 'close', v: '\\}' });
      else if (name === 'langle') out.push({ t: 'open', v: '(' });
      else if (name === 'rangle') out.push({ t: 'close', v: ')' });
      else if (GREEK.has(name)) out.push({ t: 'id', v: name.replace(/^var/, '') });
      else if (FUNCTIONS.has(name)) out.push({ t: 'fn', v: name });
      else if (name in OPERATORS) out.push({ t: 'op', v: OPERATORS[name]! });
      else if (IGNORED.has(name)) {
        /* layout only */
      } else out.push({ t: 'unknown', v: '\\' + name });
      continue;
    }
    if (c === '(' || c === '[') out.push({ t: 'open', v: c });
    else if (c === ')' || c === ']') out.push({ t: 'close', v: c });
    else if (c === '{') out.push({ t: 'open', v: '{' });
    else if (c === '}') out.push({ t: 'close', v: '}' });
    else if (c === '&') out.push({ t: 'amp' });
    else if (c === '°') out.push({ t: 'op', v: '°' });
    else if (c === '∞') out.push({ t: 'id', v: 'Infinity' });
    else if (c === 'π') out.push({ t: 'id', v: 'pi' });
    else if (c === '√') out.push({ t: 'fn', v: 'sqrt' });
    else if (c === '±') out.push({ t: 'op', v: '±' });
    else if (c === '−' || c === '–') out.push({ t: 'op', v: '-' });
    else if (c === '×' || c === '·' || c === '⋅') out.push({ t: 'op', v: '*' });
    else if (c === '÷') out.push({ t: 'op', v: '/' });
    else if (c === '≤') out.push({ t: 'op', v: '<=' });
    else if (c === '≥') out.push({ t: 'op', v: '>=' });
    else if (c === '∪') out.push({ t: 'op', v: '∪' });
    else if (c === '*' && s[i + 1] === '*') {
      out.push({ t: 'op', v: '^' });
      i += 2;
      continue;
    } else if (c === '<' || c === '>' || c === '!') {
      if (s[i + 1] === '=') {
        out.push({ t: 'op', v: c + '=' });
        i += 2;
        continue;
      }
      out.push({ t: 'op', v: c });
    } else if ("+-*/^_=,|%'.:;".includes(c)) out.push({ t: 'op', v: c });
    else out.push({ t: 'unknown', v: c });
    i++;
  }
  return out;
}

/** A run of plain letters: a function name, pi, infinity, or one variable per letter. */
function plainWord(word: string): Token[] {
  const lower = word.toLowerCase();
  if (FUNCTIONS.has(word)) return [{ t: 'fn', v: word }];
  if (word === 'pi') return [{ t: 'id', v: 'pi' }];
  if (lower === 'infinity' || lower === 'inf' || word === 'oo') return [{ t: 'id', v: 'Infinity' }];
  if (GREEK.has(word)) return [{ t: 'id', v: word }];
  // Try the longest function name prefix (e.g. "sinx" -> sin x).
  for (const f of [...FUNCTIONS].sort((a, b) => b.length - a.length)) {
    if (word.startsWith(f) && word.length > f.length) return [{ t: 'fn', v: f }, ...plainWord(word.slice(f.length))];
  }
  return [...word].map((ch) => ({ t: 'id' as const, v: ch }));
}

/**
 * The inline and display math spans of a text ($$...$$, $...$, \(...\),
 * \[...\]) in one left-to-right pass. It finds exactly what the regular
 * expression
 *
 *   (?<!\\)\$\$([\s\S]+?)(?<!\\)\$\$ | (?<!\\)\$([^$\n]+?)(?<!\\)\$ | \\\((.+?)\\\) | \\\[([\s\S]+?)\\\]
 *
 * finds with `matchAll`, but in linear time: the regex rescans to the end of
 * the text from every unclosed `\[` (quadratic on a looping output), while
 * here each "next closer at or after x" query moves a cursor that only goes
 * forward.
 */

export interface MathSpan {
  /** Where the span starts (its opening delimiter). */
  index: number;
  /** Just past its closing delimiter. */
  end: number;
  /** The text between the delimiters. */
  inner: string;
}

export interface MathSpans {
  count: number;
  first: MathSpan | null;
  last: MathSpan | null;
}

/** The smallest position >= x satisfying `test`, for queries with non-decreasing x. */
function forwardSearch(length: number, test: (q: number) => boolean): (x: number) => number {
  let found = -1;
  return (x) => {
    if (found >= x) return found;
    for (let q = Math.max(x, 0); q < length; q++) {
      if (test(q)) {
        found = q;
        return q;
      }
    }
    found = Infinity;
    return Infinity;
  };
}

const isLineTerminator = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029';

export function findMathSpans(text: string): MathSpans {
  const n = text.length;
  const at = (i: number) => text[i];
  const nextDoubleDollar = forwardSearch(n, (q) => at(q) === '$' && at(q + 1) === '$' && at(q - 1) !== '\\');
  const nextDollar = forwardSearch(n, (q) => at(q) === '$');
  const nextNewline = forwardSearch(n, (q) => at(q) === '\n');
  const nextTerminator = forwardSearch(n, (q) => isLineTerminator(at(q)));
  const nextCloseParen = forwardSearch(n, (q) => at(q) === '\\' && at(q + 1) === ')');
  const nextCloseBracket = forwardSearch(n, (q) => at(q) === '\\' && at(q + 1) === ']');

  const spans: MathSpans = { count: 0, first: null, last: null };
  const found = (index: number, innerStart: number, innerEnd: number, end: number) => {
    const span = { index, end, inner: text.slice(innerStart, innerEnd) };
    spans.count++;
    spans.first ??= span;
    spans.last = span;
    return end;
  };
  let p = 0;
  while (p < n) {
    const c = at(p);
    const escaped = at(p - 1) === '\\';
    if (c === '$' && !escaped) {
      if (at(p + 1) === '$') {
        const q = nextDoubleDollar(p + 3);
        if (q !== Infinity) {
          p = found(p, p + 2, q, q + 2);
          continue;
        }
      } else {
        const q = nextDollar(p + 1);
        if (q !== Infinity && q >= p + 2 && nextNewline(p + 1) > q && at(q - 1) !== '\\') {
          p = found(p, p + 1, q, q + 1);
          continue;
        }
      }
    } else if (c === '\\' && at(p + 1) === '(') {
      const q = nextCloseParen(p + 3);
      if (q !== Infinity && nextTerminator(p + 2) >= q) {
        p = found(p, p + 2, q, q + 2);
        continue;
      }
    } else if (c === '\\' && at(p + 1) === '[') {
      const q = nextCloseBracket(p + 3);
      if (q !== Infinity) {
        p = found(p, p + 2, q, q + 2);
        continue;
      }
    }
    p++;
  }
  return spans;
}

/**
 * What `parse` finds: one candidate reading of an answer. An answer string can
 * have several readings ("B" is a choice letter or a variable; "50\%" is 50 or
 * 0.5), so `parse` returns a list and `verify` accepts a match of any pair, as
 * Math-Verify does.
 */
import type { MathNode } from 'mathjs';

export type MathValue =
  /** A scalar: number, constant or symbolic expression, as a mathjs tree. */
  | { kind: 'expr'; node: MathNode; text: string }
  /** Words: "Evelyn", "even", "ellipse" (compared case- and space-insensitively). */
  | { kind: 'text'; value: string }
  /** A multiple-choice letter: "(B)", "\text{(B)}", "B". */
  | { kind: 'choice'; letter: string }
  /** A numeral in another base: 2516_8. */
  | { kind: 'base'; digits: string; base: string }
  /** Brackets around a comma list: a point/tuple "(1, 2)", or an interval "[2, \infty)". */
  | { kind: 'tuple'; open: '(' | '['; close: ')' | ']'; items: MathValue[] }
  /** A comma list without brackets ("1, -2"): order does not matter. */
  | { kind: 'list'; items: MathValue[] }
  /** A set "\{1, 2\}" (also what ± expands to). */
  | { kind: 'set'; items: MathValue[] }
  /** A union of intervals or sets. */
  | { kind: 'union'; parts: MathValue[] }
  /** pmatrix / bmatrix: rows of entries. */
  | { kind: 'matrix'; rows: MathValue[][] }
  /** An equation or inequality: `x = 5`, `5x - 7y + 11z + 4 = 0`, `y < 3`. */
  | { kind: 'relation'; op: string; lhs: MathValue; rhs: MathValue };

export interface Answer {
  value: MathValue;
  /** The answer text this reading came from. */
  source: string;
}

/** A short, readable form of a value (for reports and error messages). */
export function formatValue(v: MathValue): string {
  switch (v.kind) {
    case 'expr':
      return v.text;
    case 'text':
      return JSON.stringify(v.value);
    case 'choice':
      return `(${v.letter})`;
    case 'base':
      return `${v.digits}_${v.base}`;
    case 'tuple':
      return `${v.open}${v.items.map(formatValue).join(', ')}${v.close}`;
    case 'list':
      return v.items.map(formatValue).join(', ');
    case 'set':
      return `{${v.items.map(formatValue).join(', ')}}`;
    case 'union':
      return v.parts.map(formatValue).join(' ∪ ');
    case 'matrix':
      return `[${v.rows.map((r) => r.map(formatValue).join(' & ')).join(' \\\\ ')}]`;
    case 'relation':
      return `${formatValue(v.lhs)} ${v.op} ${formatValue(v.rhs)}`;
  }
}

/**
 * Python's float repr in a chat template's `tojson`. @huggingface/jinja writes
 * numbers with JavaScript's `JSON.stringify`, which keeps fixed notation down
 * to 1e-7 (`0.00001`, `1e-7`) where Python's `json.dumps`, which transformers'
 * `tojson` calls, writes an exponent from below 1e-4 on, with at least two
 * digits (`1e-05`, `1e-07`). A tool's schema or a tool call's arguments with
 * such a number (a learning rate, a tolerance) rendered other text and so other
 * tokens. Each `tojson` of a parsed template is wrapped in a call of a function
 * that rewrites the number tokens of its JSON (never text inside its strings)
 * as Python writes them. Integral numbers are left as they are: JavaScript
 * cannot tell `1.0` from `1`, and the library writes both as an integer.
 */
import type { Template } from '@huggingface/jinja';
import { isNode, rewriteTemplate, type AstNode } from './template-ast.js';

/** The name the wrapping calls use; set in every render's context. */
export const PYTHON_JSON_NUMBERS = '__molrl_python_json_numbers__';

/** Whether a node is `x | tojson` or `x | tojson(...)`. */
function isToJson(node: AstNode): boolean {
  if (node.type !== 'FilterExpression' || !isNode(node.filter)) return false;
  const filter = node.filter;
  if (filter.type === 'Identifier') return filter.value === 'tojson';
  return filter.type === 'CallExpression' && isNode(filter.callee) && filter.callee.value === 'tojson';
}

/** Wrap every `tojson` filter of the template, in place, in a call that writes its numbers as Python does. */
export function usePythonJsonNumbers(template: Template): void {
  rewriteTemplate(template, (node) =>
    isToJson(node)
      ? { type: 'CallExpression', callee: { type: 'Identifier', value: PYTHON_JSON_NUMBERS }, args: [node] }
      : undefined,
  );
}

/** A float as Python's `repr` (and so `json.dumps`) writes it; integral values as JavaScript writes them. */
export function pythonFloatRepr(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  // Both write the shortest digits that read back to x; they differ in where the exponent starts. Python's
  // large exponents (from 1e16) belong to integral values only, which are left alone above.
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  const e = Number(exponent);
  return e < -4 ? `${mantissa}e-${String(-e).padStart(2, '0')}` : String(x);
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The JSON text `json` with its number tokens (outside strings) as Python writes them. */
export function pythonJsonNumbers(json: unknown): string {
  if (typeof json !== 'string') throw new TypeError(`tojson: expected the filter's text, got ${typeof json}`);
  let out = '';
  let from = 0;
  for (let i = 0; i < json.length;) {
    const c = json[i]!;
    if (c === '"') {
      // Skip the string, escapes included.
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(json);
      if (match) {
        const token = match[0];
        // An integral token is already what Python writes (pythonFloatRepr leaves it as JavaScript writes it).
        const python = pythonFloatRepr(Number(token));
        if (python !== token) {
          out += json.slice(from, i) + python;
          from = i + token.length;
        }
        i += token.length;
        continue;
      }
    }
    i++;
  }
  return out + json.slice(from);
}

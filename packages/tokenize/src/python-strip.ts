/**
 * Python's `str.strip` / `lstrip` / `rstrip` for chat templates. @huggingface/jinja
 * (0.5.x) ignores their argument and trims JavaScript's whitespace, so Qwen3's
 * `content.lstrip('\n')` also dropped the spaces that indent an assistant's code,
 * and the rendered text was not the one transformers renders. Each such method
 * call in a parsed template is rewritten into a call of a function that does
 * what Python does.
 */
import type { Template } from '@huggingface/jinja';
import { isNode, rewriteTemplate, type AstNode } from './template-ast.js';

/** The name the rewritten calls use; set in every render's context. */
export const PYTHON_STRIP = '__molrl_python_strip__';

const METHODS = new Set(['strip', 'lstrip', 'rstrip']);

// str.isspace() in Python: the characters `str.strip()` removes without an argument.
const PYTHON_WHITESPACE = new Set([
  ...'\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000',
  ...Array.from({ length: 11 }, (_, i) => String.fromCodePoint(0x2000 + i)),
]);

/** Rewrite every `x.strip(...)`, `x.lstrip(...)`, `x.rstrip(...)` call of the template in place. */
export function usePythonStrip(template: Template): void {
  rewriteTemplate(template, (node) => {
    const callee = node.callee;
    if (node.type !== 'CallExpression' || !isNode(callee) || callee.type !== 'MemberExpression' || callee.computed)
      return undefined;
    const property = callee.property;
    if (!isNode(property) || property.type !== 'Identifier' || !METHODS.has(property.value as string)) return undefined;
    return {
      ...node,
      callee: { type: 'Identifier', value: PYTHON_STRIP },
      args: [callee.object, { type: 'StringLiteral', value: property.value }, ...(node.args as AstNode[])],
    };
  });
}

/** `value.<method>(chars)` as Python evaluates it. */
export function pythonStrip(value: unknown, method: unknown, chars?: unknown): string {
  const name = String(method);
  if (typeof value !== 'string') throw new TypeError(`${name}() of a ${typeof value}, not a string`);
  if (chars !== undefined && chars !== null && typeof chars !== 'string')
    throw new TypeError(`${name} arg must be None or str, got ${typeof chars}`);
  const strip = chars === undefined || chars === null ? PYTHON_WHITESPACE : new Set(chars);
  const points = Array.from(value);
  let start = 0;
  let end = points.length;
  if (name !== 'rstrip') while (start < end && strip.has(points[start]!)) start++;
  if (name !== 'lstrip') while (end > start && strip.has(points[end - 1]!)) end--;
  return points.slice(start, end).join('');
}

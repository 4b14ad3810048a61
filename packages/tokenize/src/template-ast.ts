/**
 * The parsed form of an @huggingface/jinja template as plain objects, and a
 * rewrite of it in place: how this package makes a template's Python methods
 * and filters (`str.strip`, `tojson`) do what Python's do, by putting a call
 * of its own function where the library's would run. The interpreter
 * dispatches on a node's `type`, so plain objects serve as nodes.
 */
import type { Template } from '@huggingface/jinja';

export interface AstNode {
  type: string;
  [field: string]: unknown;
}

export const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && typeof (value as AstNode).type === 'string';

/**
 * Walk the template's parsed nodes depth first (a node's children before the
 * node) and put in each node's place what `rewrite` returns for it (the node
 * itself where it returns undefined).
 */
export function rewriteTemplate(template: Template, rewrite: (node: AstNode) => AstNode | undefined): void {
  const visit = (node: AstNode): void => {
    for (const [key, value] of Object.entries(node)) {
      if (Array.isArray(value))
        value.forEach((item, i) => {
          if (!isNode(item)) return;
          visit(item);
          value[i] = rewrite(item) ?? item;
        });
      else if (isNode(value)) {
        visit(value);
        node[key] = rewrite(value) ?? value;
      }
    }
  };
  visit(template.parsed as unknown as AstNode);
}

/**
 * Scoped memory release, tfjs style. Every tensor made inside tidy(fn) is
 * released when fn returns, except the tensors fn returns (found in arrays,
 * plain objects and Maps) and tensors marked with keep(). Returned tensors
 * join the enclosing scope. Releasing a tensor never breaks a later
 * backward: the graph holds its own handles on what backward needs.
 */
import { engine } from './engine.js';
import { Tensor } from './tensor.js';

export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(nameOrFn: string | (() => T), maybeFn?: () => T): T {
  const fn = typeof nameOrFn === 'function' ? nameOrFn : maybeFn!;
  const scope: Tensor[] = [];
  engine.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.scopes.pop();
    for (const t of scope) if (!t.kept) t.dispose();
    throw e;
  }
  engine.scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) if (!t.kept) t.dispose();
    throw new Error(
      'tidy: the function returned a Promise; tidy is synchronous (await outside it, or release with dispose())',
    );
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned, 0);
  for (const t of scope) if (!t.kept && !returned.has(t)) t.dispose();
  const parent = engine.scopes[engine.scopes.length - 1];
  if (parent) for (const t of returned) if (!t.isDisposed) parent.push(t);
  return result;
}

function collectTensors(value: unknown, out: Set<Tensor>, depth: number): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collectTensors(v, out, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collectTensors(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
}

/** Exempt `t` from every tidy scope's cleanup (it is then released only by dispose()). */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/** Dispose tensors found in a value (a tensor, arrays, plain objects, Maps). */
export function dispose(value: unknown): void {
  const found = new Set<Tensor>();
  collectTensors(value, found, 0);
  for (const t of found) t.dispose();
}

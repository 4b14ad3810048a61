/**
 * Checks of the options a backend is created with. The options type takes any
 * key (one `setBackend(name, options)` serves every backend), so a misspelt one
 * (`shader_f16`, `poolbytes`) would be dropped without a word: each backend
 * refuses the keys it does not read.
 */
import { backendError } from './errors.js';

/**
 * `unknown option 'x' (did you mean 'y'?); known: ...` for the first key of
 * `options` not in `known` (the hint when its camelCase form, or the same
 * letters in another case, is one), or undefined when every key is known.
 */
export function unknownOptionProblem(options: object, known: readonly string[]): string | undefined {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const camel = key.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
    const meant = known.find((k) => k === camel || k.toLowerCase() === camel.toLowerCase());
    return `unknown option '${key}'${meant ? ` (did you mean '${meant}'?)` : ''}; known: ${known.join(', ')}`;
  }
  return undefined;
}

/** Throws naming the backend and the first key of `options` not in `known` (see `unknownOptionProblem`). */
export function checkBackendOptionKeys(backend: string, options: object, known: readonly string[]): void {
  const problem = unknownOptionProblem(options, known);
  if (problem) throw backendError(backend, 'create', problem);
}

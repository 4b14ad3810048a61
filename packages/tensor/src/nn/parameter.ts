/** A trainable tensor: a leaf that requires grad and is never released by tidy. */
import type { Tensor } from '../tensor.js';

/**
 * Mark `t` as a parameter: requiresGrad = true and exempt from tidy.
 * Returns the same tensor (parameters are ordinary leaf tensors).
 */
export function parameter(t: Tensor, options: { requiresGrad?: boolean; name?: string } = {}): Tensor {
  if (!t.isLeaf) throw new Error(`parameter: ${t.describe()} is not a leaf tensor (detach() it first)`);
  t.requiresGrad = options.requiresGrad ?? true;
  if (options.name) t.name = options.name;
  (t as Tensor & { [PARAM]: true })[PARAM] = true;
  return t.keep();
}

const PARAM = Symbol.for('molrl.parameter');

/** True for tensors made by parameter() (and Module.registerParameter). */
export function isParameter(t: unknown): t is Tensor {
  return typeof t === 'object' && t !== null && (t as Record<symbol, unknown>)[PARAM] === true;
}

import type { TensorInfo } from '../../backend.js';
import { assertSeed } from '../../random/philox.js';
import { assertDType, assertInputCount } from '../../shape.js';

/** x checked, p in [0, 1), the seed valid: the keep threshold and the scale as float32 (shared by the backends). */
export function dropoutArgs(
  inputs: readonly TensorInfo[],
  attrs: { p: number; seed: number },
): { threshold: number; scale: number } {
  assertInputCount('dropout', inputs, 1);
  assertDType('dropout', 'x', inputs[0]!, 'float32');
  if (!(attrs.p >= 0 && attrs.p < 1)) throw new Error(`dropout: attrs.p must be in [0, 1), got ${attrs.p}`);
  assertSeed('dropout', attrs.seed);
  // As scalarOp rounds its scalar: the threshold of greaterEqual, then the scale of the multiply.
  return { threshold: Math.fround(attrs.p), scale: Math.fround(1 / (1 - attrs.p)) };
}

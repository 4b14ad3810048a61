/**
 * Inverted dropout (nn.Dropout in training) with an explicit seed: keep each
 * element where the randomUniform stream of x's shape at `seed` reaches p,
 * scale the kept ones by 1 / (1 - p). One kernel where the backend registers
 * `dropout`, else `mul(mul(x, greaterEqual(rand(x.shape, { seed }), p)), 1 / (1 - p))`,
 * the same bits. The mask is never kept: the gradient draws it again (the
 * same call on dy), so a recomputed forward (gradient checkpointing) and the
 * backward see the forward's mask.
 */
import type { Tensor } from '../tensor.js';
import { assertFloat, backendHas, needsGrad, record, run1 } from './core.js';

function checkArgs(p: number, seed: number): void {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (!(Number.isSafeInteger(seed) && seed >= 0))
    throw new Error(`dropout: seed must be an integer in [0, 2^53), got ${seed}`);
}

/** The dropped copy of x without a graph node (a fused op's forward and backward): one kernel, or its composition. */
export function dropWithoutGraph(x: Tensor, p: number, seed: number): Tensor {
  if (backendHas('dropout')) return run1('dropout', 'dropout', [x], { p, seed });
  const uniform = run1('dropout', 'randomUniform', [], { shape: [...x.shape], seed, low: 0, high: 1 });
  const keep = run1('dropout', 'scalarOp', [uniform], { op: 'greaterEqual', scalar: p });
  uniform.dispose();
  const masked = run1('dropout', 'mul', [x, keep]);
  keep.dispose();
  const out = run1('dropout', 'scalarOp', [masked], { op: 'mul', scalar: 1 / (1 - p) });
  masked.dispose();
  return out;
}

/** x [any shape] dropped with probability p by the mask of `seed`; p = 0 returns x itself. */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  assertFloat('dropout', x);
  checkArgs(p, seed);
  if (p === 0) return x;
  const out = dropWithoutGraph(x, p, seed);
  if (needsGrad(x)) record('dropout', [x], [out], [], ([dy]) => [dropWithoutGraph(dy!, p, seed)]);
  return out;
}

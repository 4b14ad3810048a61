import type { Tolerance } from './types.js';

/**
 * The tolerance classes against the cpu reference (float32 compute
 * everywhere; the cpu backend accumulates sums in float64). A kernel's
 * conformance (`cases.ts` in its folder) names one, or states its own.
 */

/** Data movement, indexing, comparisons, casts, fill: the same bits are required. */
export const EXACT: Tolerance = { atol: 0, rtol: 0 };

/** add/sub/mul/div and the like: a few float32 ulps (WGSL allows 2.5 ulp division; a device may fuse a*b+c). */
export const ARITHMETIC: Tolerance = { atol: 1e-7, rtol: 1e-6 };

/** exp, log, tanh, pow, ...: ~1e-5 relative, what GPU exp/log deliver over the tested ranges. */
export const TRANSCENDENTAL: Tolerance = { atol: 1e-6, rtol: 2e-5 };

/**
 * matmul, reductions, softmax, norms: float32 accumulation order differs per
 * device; cases with long accumulations state a wider atol derived from their length.
 */
export const ACCUMULATE: Tolerance = { atol: 1e-5, rtol: 1e-5 };

import type { Tolerance } from './types.js';

/**
 * Default per-kernel tolerances against the cpu reference (float32 compute
 * everywhere; the cpu backend accumulates sums in float64).
 *
 * - exact: data movement, indexing, comparisons, casts, fill and the uniform
 *   stream: the same bits are required.
 * - arithmetic (add/sub/mul/div/...): a few float32 ulps, since WGSL allows
 *   2.5 ulp division and a device may contract a*b+c into an FMA.
 * - transcendentals (exp, log, tanh, pow, ...): ~1e-5 relative, what GPU
 *   exp/log implementations deliver over the tested ranges.
 * - accumulations (matmul, reductions, softmax, norms, attention): float32
 *   accumulation order differs per device; cases with long accumulations
 *   state a wider atol derived from their length (see the case table).
 */
const EXACT: Tolerance = { atol: 0, rtol: 0 };
const ARITHMETIC: Tolerance = { atol: 1e-7, rtol: 1e-6 };
const TRANSCENDENTAL: Tolerance = { atol: 1e-6, rtol: 2e-5 };
const ACCUMULATE: Tolerance = { atol: 1e-5, rtol: 1e-5 };

export const DEFAULT_TOLERANCES: Readonly<Record<string, Tolerance>> = {
  add: ARITHMETIC,
  sub: ARITHMETIC,
  mul: ARITHMETIC,
  div: ARITHMETIC,
  maximum: EXACT,
  minimum: EXACT,
  pow: TRANSCENDENTAL,
  equal: EXACT,
  notEqual: EXACT,
  greater: EXACT,
  greaterEqual: EXACT,
  less: EXACT,
  lessEqual: EXACT,
  neg: EXACT,
  abs: EXACT,
  exp: TRANSCENDENTAL,
  log: TRANSCENDENTAL,
  sqrt: ARITHMETIC,
  rsqrt: TRANSCENDENTAL,
  square: ARITHMETIC,
  reciprocal: ARITHMETIC,
  silu: TRANSCENDENTAL,
  sigmoid: TRANSCENDENTAL,
  tanh: TRANSCENDENTAL,
  relu: EXACT,
  isNaN: EXACT,
  isInf: EXACT,
  scalarOp: TRANSCENDENTAL,
  siluGrad: TRANSCENDENTAL,
  matmul: ACCUMULATE,
  sum: ACCUMULATE,
  mean: ACCUMULATE,
  max: EXACT,
  argmax: EXACT,
  softmax: { atol: 1e-6, rtol: 1e-5 },
  logSoftmax: { atol: 1e-5, rtol: 1e-5 },
  logSumExp: { atol: 1e-5, rtol: 1e-5 },
  softmaxGrad: { atol: 1e-6, rtol: 1e-5 },
  logSoftmaxGrad: { atol: 1e-5, rtol: 1e-5 },
  rmsNorm: { atol: 1e-5, rtol: 1e-5 },
  rmsNormGrad: { atol: 1e-4, rtol: 1e-4 },
  // cos/sin of angles up to ~2000 rad: float32 range reduction costs ~1e-4 absolute.
  rope: { atol: 1e-4, rtol: 1e-4 },
  attention: { atol: 1e-4, rtol: 1e-4 },
  attentionGrad: { atol: 5e-4, rtol: 1e-3 },
  gatherRows: EXACT,
  scatterAddRows: ARITHMETIC,
  takeAlongAxis: EXACT,
  putAlongAxis: EXACT,
  where: EXACT,
  transpose: EXACT,
  slice: EXACT,
  sliceGrad: EXACT,
  concat: EXACT,
  cast: EXACT,
  copy: EXACT,
  fill: EXACT,
  // u = (word >>> 8) * 2^-24 is exact; low + (high - low) * u may be one FMA on a device.
  randomUniform: { atol: 1e-6, rtol: 0 },
  // Box-Muller: log, sqrt, cos, sin in float32 on the device.
  randomNormal: { atol: 1e-4, rtol: 1e-4 },
  adamw: { atol: 1e-6, rtol: 1e-5 },
};

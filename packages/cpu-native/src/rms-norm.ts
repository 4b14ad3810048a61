import { addon } from './addon.js';

/** One call of `rmsNorm`. */
export interface RmsNormParams {
  /** Rows of weight.length. */
  x: Float32Array;
  weight: Float32Array;
  eps: number;
  /** x's length; shares no memory with x or weight. */
  y: Float32Array;
}

/**
 * y = x / sqrt(mean(x^2) + eps) * weight over rows of weight.length, with the
 * sums and roundings of @molrl/gpu-backend's WebAssembly SIMD kernel, so its bits:
 * each row's squares summed in float64 as two chains (one takes elements 0 and 2 of
 * every group of four and each element after the last group, the other elements 1
 * and 3), added; the factor 1 / sqrt(sum / d + eps) rounded to float32; then
 * (x factor) weight, each product rounded to float32. Rows split across the pool's
 * threads. Synchronous; a bad argument is an error naming it.
 */
export function rmsNorm(p: RmsNormParams): void {
  addon.rmsNorm(p.x, p.weight, p.y, p.eps);
}

/** One call of `rmsNormGrad`. */
export interface RmsNormGradParams {
  /** The output's gradient, rows of weight.length. */
  dy: Float32Array;
  /** The rows RMSNorm read. */
  x: Float32Array;
  weight: Float32Array;
  eps: number;
  /** x's gradient (x's length); shares no memory with the inputs. */
  dx: Float32Array;
  /** weight's gradient (weight's length), summed over the rows; shares no memory with the inputs. */
  dweight: Float32Array;
}

/**
 * RMSNorm's gradient: per row, with r = 1 / sqrt(mean(x^2) + eps),
 * dx = r (dy w - x r mean(dy w x r)), and dweight = the sum over rows of dy x r.
 * All in float64 with @molrl/gpu-backend's cpu operations in their order (each
 * row's sums one chain in element order, dweight's terms added row after row), so
 * the same bits as that backend's JavaScript; four rows' chains run side by side.
 * Synchronous; a bad argument is an error naming it.
 */
export function rmsNormGrad(p: RmsNormGradParams): void {
  addon.rmsNormGrad(p.dy, p.x, p.weight, p.dx, p.dweight, p.eps);
}

/** The rotary angles of `rmsNormRope`: cos and sin of every position a call names, d / 2 values per position. */
export interface RotaryAngles {
  /** Position p's values at [p d/2, (p + 1) d/2), each rounded to float32. */
  cos: Float32Array;
  /** As `cos` (sin, not negated). */
  sin: Float32Array;
}

/** One call of `rmsNormRope`. */
export interface RmsNormRopeParams extends RotaryAngles {
  /** [b, t, heads, d] with d = weight.length (even). */
  x: Float32Array;
  weight: Float32Array;
  /** One position per token (b t of them), each within the angle table. */
  positions: Int32Array;
  /** [b, heads, t, d]; shares no memory with the inputs. */
  y: Float32Array;
  /** Tokens per sequence. */
  t: number;
  heads: number;
  eps: number;
}

/**
 * RMSNorm of every head's row of x, each value rounded to float32, then rotated
 * by its token's angles (x1 c - x2 s, x2 c + x1 s over the two halves) into y's
 * [b, heads, t, d] layout: the bits of rmsNorm, then rope, then the transpose on
 * @molrl/gpu-backend's cpu backend. Synchronous; a bad argument is an error naming it.
 */
export function rmsNormRope(p: RmsNormRopeParams): void {
  addon.rmsNormRope(p.x, p.weight, p.positions, p.cos, p.sin, p.y, p.t, p.heads, p.eps);
}

/** One call of `rmsNormRopeGrad`. */
export interface RmsNormRopeGradParams extends RotaryAngles {
  /** y's gradient, [b, heads, t, d]. */
  dy: Float32Array;
  /** [b, t, heads, d], as given to rmsNormRope. */
  x: Float32Array;
  weight: Float32Array;
  positions: Int32Array;
  /** x's gradient, [b, t, heads, d]; shares no memory with the inputs. */
  dx: Float32Array;
  /** weight's gradient; shares no memory with the inputs. */
  dweight: Float32Array;
  t: number;
  heads: number;
  eps: number;
}

/**
 * rmsNormRope's gradient: each row of dy rotated back (rounded to float32, as
 * rope's inverse rounds it), then `rmsNormGrad`'s formulas with the rows in x's
 * order, so the bits of the composition's gradient on @molrl/gpu-backend's cpu
 * backend. Synchronous; a bad argument is an error naming it.
 */
export function rmsNormRopeGrad(p: RmsNormRopeGradParams): void {
  addon.rmsNormRopeGrad(p.dy, p.x, p.weight, p.positions, p.cos, p.sin, p.dx, p.dweight, p.t, p.heads, p.eps);
}

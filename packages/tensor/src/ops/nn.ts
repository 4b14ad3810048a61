/** Fused transformer ops over their kernels: RMSNorm, rotary embedding, the two fused, causal GQA attention. */
import type { AttrsOf } from '@molrl/gpu-backend';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertInt, backendHas, needsGrad, record, run1, runKernel, wrap } from './core.js';
import { add } from './elementwise.js';
import { cast } from './indexing.js';
import { transpose } from './shape-ops.js';

/**
 * A norm's scale as its kernels take it: float32, or a frozen bfloat16/float16
 * weight as stored (the kernels widen it as they read it; no float32 copy is
 * made). A half weight that takes a gradient is widened first, so its
 * gradient flows back through the cast.
 */
function normWeight(op: string, weight: Tensor): Tensor {
  if (weight.dtype === 'bfloat16' || weight.dtype === 'float16')
    return needsGrad(weight) ? cast(weight, 'float32') : weight;
  assertFloat(op, weight);
  return weight;
}

/** A norm's scale must be [D] for x [..., D]. */
function checkNormWeightShape(op: string, weight: Tensor, x: Tensor): void {
  const d = x.shape[x.rank - 1];
  if (weight.rank !== 1 || weight.shape[0] !== d) {
    throw new Error(`${op}: weight ${fmt(weight.shape)} must be [${d}] for x ${fmt(x.shape)}`);
  }
}

/**
 * x / sqrt(mean(x^2, -1) + eps) * weight, weight [D] over x [..., D]. The
 * weight may be stored as bfloat16/float16 (read as stored unless it takes a gradient).
 */
export function rmsNorm(x: Tensor, stored: Tensor, eps = 1e-6): Tensor {
  assertFloat('rmsNorm', x);
  const weight = normWeight('rmsNorm', stored);
  checkNormWeightShape('rmsNorm', weight, x);
  const out = run1('rmsNorm', 'rmsNorm', [x, weight], { eps });
  if (needsGrad(x, weight)) {
    record('rmsNorm', [x, weight], [out], [x, weight], ([dy], [sx, sw]) => {
      const [dx, dw] = runKernel('rmsNormGrad', 'rmsNormGrad', [dy!, sx!, sw!], { eps });
      return [wrap(dx!, 'rmsNormGrad'), wrap(dw!, 'rmsNormGrad')];
    });
  }
  return out;
}

/**
 * A residual connection and the norm after it: [x + update, rmsNorm(x + update,
 * weight)], in one kernel (`addRmsNorm`) where the backend has it, else add
 * then rmsNorm. The backward is rmsNormGrad's, with the sum's own gradient added.
 */
export function addRmsNorm(x: Tensor, update: Tensor, stored: Tensor, eps = 1e-6): [sum: Tensor, normed: Tensor] {
  assertFloat('addRmsNorm', x, update);
  if (!sameShape(x.shape, update.shape))
    throw new Error(`addRmsNorm: x ${fmt(x.shape)} and update ${fmt(update.shape)} must have the same shape`);
  const weight = normWeight('addRmsNorm', stored);
  checkNormWeightShape('addRmsNorm', weight, x);
  if (!backendHas('addRmsNorm')) {
    const sum = add(x, update);
    return [sum, rmsNorm(sum, weight, eps)];
  }
  const [sumInfo, normedInfo] = runKernel('addRmsNorm', 'addRmsNorm', [x, update, weight], { eps });
  const sum = wrap(sumInfo!, 'addRmsNorm');
  const normed = wrap(normedInfo!, 'addRmsNorm');
  if (needsGrad(x, update, weight)) {
    record('addRmsNorm', [x, update, weight], [sum, normed], [sum, weight], ([dSum, dNormed], [s, w]) => {
      if (!dNormed) return [dSum, dSum, null];
      const [dxInfo, dwInfo] = runKernel('rmsNormGrad', 'rmsNormGrad', [dNormed, s!, w!], { eps });
      const dNorm = wrap(dxInfo!, 'rmsNormGrad');
      const dWeight = wrap(dwInfo!, 'rmsNormGrad');
      if (!dSum) return [dNorm, dNorm, dWeight];
      const total = add(dSum, dNorm);
      dNorm.dispose();
      return [total, total, dWeight];
    });
  }
  return [sum, normed];
}

/**
 * Rotary position embedding (HF rotate-half convention) of x [B, H, T, D]
 * at int32 positions [B, T]. The gradient rotates back by the same angles.
 */
export function rope(x: Tensor, positions: Tensor, theta = 10000): Tensor {
  assertFloat('rope', x);
  assertInt('rope', 'positions', positions);
  if (x.rank !== 4 || x.shape[3]! % 2 !== 0)
    throw new Error(`rope: x must be [B, H, T, D] with D even, got ${fmt(x.shape)}`);
  if (positions.rank !== 2 || positions.shape[0] !== x.shape[0] || positions.shape[1] !== x.shape[2]) {
    throw new Error(
      `rope: positions ${fmt(positions.shape)} must be [B, T] = [${x.shape[0]}, ${x.shape[2]}] for x ${fmt(x.shape)}`,
    );
  }
  const out = run1('rope', 'rope', [x, positions], { theta });
  if (needsGrad(x)) {
    record('rope', [x, null], [out], [positions], ([dy], [pos]) => [
      run1('rope', 'rope', [dy!, pos!], { theta, inverse: true }),
    ]);
  }
  return out;
}

export interface RmsNormRopeOptions {
  /** The norm's epsilon (default 1e-6). */
  eps?: number;
  /** The rotary base (default 10000). */
  theta?: number;
}

/**
 * A projection's heads made ready for attention: x [B, T, H, D] (the
 * projection's output split into heads) -> [B, H, T, D], each head vector
 * RMS-normalised with `weight` [D] (Qwen3's q_norm / k_norm) and rotated by
 * its position. Equals rope(transpose(rmsNorm(x, weight), [0, 2, 1, 3]),
 * positions) bit for bit on cpu, in one kernel each way (`rmsNormRope`,
 * `rmsNormRopeGrad`) instead of three, with neither the normalised nor the
 * transposed tensor made; that composition where the backend lacks them.
 * The weight may be stored as bfloat16/float16, as for rmsNorm.
 */
export function rmsNormRope(x: Tensor, stored: Tensor, positions: Tensor, options: RmsNormRopeOptions = {}): Tensor {
  const eps = options.eps ?? 1e-6;
  const theta = options.theta ?? 10000;
  assertFloat('rmsNormRope', x);
  const weight = normWeight('rmsNormRope', stored);
  assertInt('rmsNormRope', 'positions', positions);
  if (x.rank !== 4 || x.shape[3]! % 2 !== 0) {
    throw new Error(`rmsNormRope: x must be [B, T, H, D] with D even, got ${fmt(x.shape)}`);
  }
  const [b, t] = x.shape as [number, number];
  checkNormWeightShape('rmsNormRope', weight, x);
  if (!sameShape(positions.shape, [b, t])) {
    throw new Error(
      `rmsNormRope: positions ${fmt(positions.shape)} must be [B, T] = [${b}, ${t}] for x ${fmt(x.shape)}`,
    );
  }
  if (!backendHas('rmsNormRope', 'rmsNormRopeGrad')) {
    return rope(transpose(rmsNorm(x, weight, eps), [0, 2, 1, 3]), positions, theta);
  }
  const attrs = { eps, theta };
  const out = run1('rmsNormRope', 'rmsNormRope', [x, weight, positions], attrs);
  if (needsGrad(x, weight)) {
    record('rmsNormRope', [x, weight, null], [out], [x, weight, positions], ([dy], [sx, sw, pos]) => {
      const [dx, dw] = runKernel('rmsNormRopeGrad', 'rmsNormRopeGrad', [dy!, sx!, sw!, pos!], attrs);
      return [wrap(dx!, 'rmsNormRopeGrad'), wrap(dw!, 'rmsNormRopeGrad')];
    });
  }
  return out;
}

export interface AttentionOptions {
  /** Score scale; default 1/sqrt(D). */
  scale?: number;
  /** Mask future keys (default true). */
  causal?: boolean;
  /** int32 [B, S]: packed sequences; query i sees key j only within the same segment. */
  segmentIds?: Tensor;
  /** Absolute position of query 0 among the S keys (default S - T, e.g. decoding with a KV cache). */
  queryOffset?: number;
}

/**
 * Fused scaled-dot-product attention with grouped KV heads: q [B, Hq, T, D],
 * k and v [B, Hkv, S, D], Hq a multiple of Hkv. Returns [B, Hq, T, D]. The
 * backward uses the saved row log-sum-exp (flash-attention style), so the
 * [T, S] score matrix is never kept.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  assertFloat('attention', q, k, v);
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(
      `attention: q, k, v must be rank 4 ([B, H, T, D]), got q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`,
    );
  }
  const [b, hq, , d] = q.shape as [number, number, number, number];
  const [bk, hkv, s, dk] = k.shape as [number, number, number, number];
  if (bk !== b || dk !== d || hkv === 0 || hq % hkv !== 0 || v.shape.some((x, i) => x !== k.shape[i])) {
    throw new Error(
      `attention: shapes do not fit: q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)} (need equal B and D, v = k's shape, Hq a multiple of Hkv)`,
    );
  }
  const seg = options.segmentIds;
  if (seg) {
    assertInt('attention', 'segmentIds', seg);
    if (seg.rank !== 2 || seg.shape[0] !== b || seg.shape[1] !== s) {
      throw new Error(`attention: segmentIds ${fmt(seg.shape)} must be [B, S] = [${b}, ${s}]`);
    }
  }
  const attrs: AttrsOf<'attention'> = { scale: options.scale ?? 1 / Math.sqrt(d), causal: options.causal ?? true };
  if (options.queryOffset !== undefined) attrs.queryOffset = options.queryOffset;
  const inputs = seg ? [q, k, v, seg] : [q, k, v];
  const [outInfo, lseInfo] = runKernel('attention', 'attention', inputs, attrs);
  const out = wrap(outInfo!, 'attention');
  const lse = wrap(lseInfo!, 'attention');
  if (needsGrad(q, k, v)) {
    const saved = seg ? [q, k, v, out, lse, seg] : [q, k, v, out, lse];
    record('attention', [q, k, v], [out], saved, ([dy], sv) => {
      const grads = runKernel('attentionGrad', 'attentionGrad', [dy!, ...sv], attrs);
      return grads.map((g) => wrap(g, 'attentionGrad'));
    });
  }
  lse.dispose();
  return out;
}

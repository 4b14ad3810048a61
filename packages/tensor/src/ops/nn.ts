/** Fused transformer ops over their kernels: RMSNorm, rotary embedding, causal GQA attention. */
import type { AttrsOf } from '@molrl/gpu-backend';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertInt, needsGrad, record, run1, runKernel, wrap } from './core.js';

/** x / sqrt(mean(x^2, -1) + eps) * weight, weight [D] over x [..., D]. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  assertFloat('rmsNorm', x, weight);
  const d = x.shape[x.rank - 1];
  if (weight.rank !== 1 || weight.shape[0] !== d) {
    throw new Error(`rmsNorm: weight ${fmt(weight.shape)} must be [${d}] for x ${fmt(x.shape)}`);
  }
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

/** Attention attributes and the validation of q/k/v every backend applies. */
import type { TensorInfo } from '../../backend.js';
import type { ContractAttrs } from '../../contract/kernel-contract.js';
import { fmt, kernelError } from '../../shape.js';
import type { attention } from './contract.js';

export type AttentionAttrs = ContractAttrs<typeof attention>;

export interface AttentionDims {
  b: number;
  hq: number;
  hkv: number;
  t: number;
  s: number;
  d: number;
  /** Absolute position of query 0 among the S keys. */
  queryOffset: number;
}

/** Validate q/k/v (and segment ids) of attention or attentionGrad; shared by both kernels. */
export function attentionDims(
  kernel: string,
  q: TensorInfo,
  k: TensorInfo,
  v: TensorInfo,
  segmentIds: TensorInfo | undefined,
  attrs: AttentionAttrs,
): AttentionDims {
  if (q.shape.length !== 4 || k.shape.length !== 4 || v.shape.length !== 4) {
    throw kernelError(
      kernel,
      `q, k, v must be [B, H, T, D]; got q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`,
    );
  }
  const [b, hq, t, d] = q.shape;
  const [bk, hkv, s, dk] = k.shape;
  if (bk !== b || dk !== d || v.shape.some((x, i) => x !== k.shape[i])) {
    throw kernelError(
      kernel,
      `q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)} disagree (expected k = v = [${b}, Hkv, S, ${d}])`,
    );
  }
  if (hkv === 0 ? hq !== 0 : hq % hkv !== 0) {
    throw kernelError(kernel, `query heads ${hq} are not a multiple of key/value heads ${hkv}`);
  }
  if (typeof attrs.scale !== 'number' || !Number.isFinite(attrs.scale)) {
    throw kernelError(kernel, `attrs.scale must be a finite number, got ${String(attrs.scale)}`);
  }
  const queryOffset = attrs.queryOffset ?? s - t;
  if (!Number.isInteger(queryOffset))
    throw kernelError(kernel, `attrs.queryOffset must be an integer, got ${queryOffset}`);
  if ((attrs.causal || segmentIds) && queryOffset < 0) {
    throw kernelError(kernel, `queryOffset ${queryOffset} is negative (T=${t} queries, S=${s} keys)`);
  }
  if (segmentIds) {
    if (
      segmentIds.dtype !== 'int32' ||
      segmentIds.shape.length !== 2 ||
      segmentIds.shape[0] !== b ||
      segmentIds.shape[1] !== s
    ) {
      throw kernelError(
        kernel,
        `segmentIds must be int32 [${b}, ${s}], got ${segmentIds.dtype} ${fmt(segmentIds.shape)}`,
      );
    }
    if (queryOffset + t > s) {
      throw kernelError(
        kernel,
        `with segmentIds the queries must be among the keys: queryOffset ${queryOffset} + T ${t} > S ${s}`,
      );
    }
  }
  return { b, hq, hkv, t, s, d, queryOffset };
}

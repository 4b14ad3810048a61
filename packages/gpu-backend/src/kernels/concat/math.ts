/** Concat attributes and the output layout every backend derives from them. */
import type { TensorInfo } from '../../backend.js';
import type { ContractAttrs } from '../../contract/kernel-contract.js';
import { fmt, kernelError, normalizeAxis, sizeOf } from '../../shape.js';
import type { concat } from './contract.js';

export type ConcatAttrs = ContractAttrs<typeof concat>;

export interface ConcatLayout {
  /** The axis, non-negative. */
  axis: number;
  /** Sum of the inputs' extents along the axis. */
  total: number;
  outShape: number[];
  /** Elements before the axis (rows of the [outer, extent * inner] view). */
  outer: number;
  /** Elements after the axis. */
  inner: number;
}

/** Validates that all inputs share rank, dtype and every dim but the axis. */
export function concatLayout(inputs: readonly TensorInfo[], attrs: ConcatAttrs): ConcatLayout {
  if (inputs.length === 0) throw kernelError('concat', 'expected at least one input');
  const first = inputs[0];
  const rank = first.shape.length;
  const axis = normalizeAxis('concat', attrs.axis, rank);
  let total = 0;
  for (const info of inputs) {
    const ok = info.shape.length === rank && info.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!ok)
      throw kernelError('concat', `shapes ${inputs.map((x) => fmt(x.shape)).join(', ')} differ outside axis ${axis}`);
    if (info.storage.dtype !== first.storage.dtype)
      throw kernelError('concat', `dtypes differ: ${inputs.map((x) => x.storage.dtype).join(', ')}`);
    total += info.shape[axis];
  }
  return {
    axis,
    total,
    outShape: first.shape.map((d, i) => (i === axis ? total : d)),
    outer: sizeOf(first.shape.slice(0, axis)),
    inner: sizeOf(first.shape.slice(axis + 1)),
  };
}

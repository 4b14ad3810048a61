import type { TensorInfo } from '../../backend.js';
import { fmt, kernelError, sameShape, sizeOf } from '../../shape.js';

/** Rows and vocabulary size of a softmaxCrossEntropy(Grad) call, its shapes checked (shared by the backends). */
export function crossEntropyDims(
  kernel: string,
  logits: TensorInfo,
  targets: TensorInfo,
  perRow: readonly [name: string, info: TensorInfo][] = [],
): { rows: number; v: number } {
  if (logits.shape.length < 1) throw kernelError(kernel, `logits must have rank >= 1, got ${fmt(logits.shape)}`);
  const lead = logits.shape.slice(0, -1);
  if (!sameShape(lead, targets.shape)) {
    throw kernelError(
      kernel,
      `targets ${fmt(targets.shape)} must be logits ${fmt(logits.shape)} without its last axis`,
    );
  }
  for (const [name, info] of perRow) {
    if (!sameShape(info.shape, targets.shape)) {
      throw kernelError(kernel, `${name} ${fmt(info.shape)} must match targets ${fmt(targets.shape)}`);
    }
  }
  return { rows: sizeOf(lead), v: logits.shape[logits.shape.length - 1] };
}

/**
 * The toy task: reverse a string of digits. A sequence is
 *   d1 ... dn SEP dn ... d1
 * and the model, reading left to right, must produce the second half; only
 * those positions carry loss.
 */
import { mulberry32 } from '@molrl/tensor';

export const DIGITS = 10;
export const SEP = 10;
export const VOCAB = 11;

export interface Batch {
  /** int32 [B, 2n]: the sequence without its last token. */
  inputs: Int32Array;
  /** int32 [B, 2n]: the sequence shifted by one. */
  targets: Int32Array;
  /** float [B, 2n]: 1 where the target is part of the reversed half. */
  mask: Float32Array;
  batch: number;
  length: number;
}

/** Deterministic digits (mulberry32). */
export function digitStream(seed: number): () => number {
  const random = mulberry32(seed);
  // floor(u * 2^32) is the generator's raw 32-bit output.
  return () => Math.floor(random() * 4294967296) % DIGITS;
}

export function makeSequence(digits: number[]): number[] {
  return [...digits, SEP, ...digits.slice().reverse()];
}

export function makeBatch(next: () => number, batch: number, n: number): Batch {
  const length = 2 * n;
  const inputs = new Int32Array(batch * length);
  const targets = new Int32Array(batch * length);
  const mask = new Float32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const digits = Array.from({ length: n }, next);
    const seq = makeSequence(digits);
    for (let i = 0; i < length; i++) {
      inputs[b * length + i] = seq[i]!;
      targets[b * length + i] = seq[i + 1]!;
      mask[b * length + i] = i >= n ? 1 : 0;
    }
  }
  return { inputs, targets, mask, batch, length };
}

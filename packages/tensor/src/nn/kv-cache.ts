/**
 * The keys and values one attention layer has seen so far, for generation:
 * each decoding step appends its new keys and values and attends over all.
 */
import { zeros } from '../ops/creation.js';
import { concat, slice } from '../ops/shape-ops.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

export class KVCache {
  /** [B, Hkv, S, D], after any key normalisation and rotary positions. */
  k: Tensor;
  /** [B, Hkv, S, D]. */
  v: Tensor;

  /** Takes over k and v (they are kept: no tidy scope releases them). */
  constructor(k: Tensor, v: Tensor) {
    this.k = k.keep();
    this.v = v.keep();
  }

  /** An empty cache of `batch` rows. */
  static empty(batch: number, kvHeads: number, headDim: number): KVCache {
    return new KVCache(zeros([batch, kvHeads, 0, headDim]), zeros([batch, kvHeads, 0, headDim]));
  }

  /** Number of cached positions (S). */
  get length(): number {
    return this.k.shape[2];
  }

  /**
   * Append this step's keys and values [B, Hkv, T, D]; returns the whole
   * [B, Hkv, S + T, D] to attend over (owned by the cache: do not dispose).
   */
  append(k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const kAll = concat([this.k, k], 2);
    const vAll = concat([this.v, v], 2);
    this.k.dispose();
    this.v.dispose();
    this.k = kAll.keep();
    this.v = vAll.keep();
    return { k: this.k, v: this.v };
  }

  /** Keep only the batch rows `rows`, in that order (rows that finished generating leave). */
  selectRows(rows: readonly number[]): void {
    const pick = (x: Tensor) =>
      tidy(() => {
        const size = [1, ...x.shape.slice(1)];
        const parts = rows.map((r) => slice(x, [r, ...size.slice(1).map(() => 0)], size));
        return parts.length === 1 ? parts[0]! : concat(parts, 0);
      });
    const k = pick(this.k);
    const v = pick(this.v);
    this.k.dispose();
    this.v.dispose();
    this.k = k.keep();
    this.v = v.keep();
  }

  dispose(): void {
    this.k.dispose();
    this.v.dispose();
  }
}

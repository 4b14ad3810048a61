/**
 * The keys and values one attention layer has seen so far, for generation.
 * The cache is one preallocated [B, Hkv, capacity, D] tensor each for keys
 * and values; a decoding step writes its keys and values in place after the
 * ones held (the `writeSlice` kernel), so a step costs what it adds, not a
 * copy of everything held. When the capacity runs out it doubles (one copy).
 * Attention reads the first `length` positions: with a causal mask and
 * `queryOffset = length - T`, the positions past `length` are never seen.
 */
import { noGrad } from '../engine.js';
import { zeros } from '../ops/creation.js';
import { concat, slice } from '../ops/shape-ops.js';
import { writeSlice } from '../ops/write-slice.js';
import { fmt } from '../shape.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

export interface KVCacheOptions {
  /** Positions to allocate up front (default 0: the first append allocates what it needs). */
  capacity?: number;
}

/** What `append` returns: the whole buffers and how many positions of them hold keys. */
export interface KVCacheView {
  /** [B, Hkv, capacity, D]: positions [0, length) hold keys; owned by the cache (do not dispose). */
  k: Tensor;
  /** [B, Hkv, capacity, D]: the values beside k. */
  v: Tensor;
  /** Positions held, this step's included; attend with queryOffset = length - T. */
  length: number;
}

export class KVCache {
  /** [B, Hkv, capacity, D], after any key normalisation and rotary positions; positions from `length` on are unused. */
  k: Tensor;
  /** [B, Hkv, capacity, D]. */
  v: Tensor;
  private held: number;

  /** Takes over k and v [B, Hkv, S, D], all S positions held (they are kept: no tidy scope releases them). */
  constructor(k: Tensor, v: Tensor) {
    if (k.rank !== 4 || v.rank !== 4 || k.shape.some((d, i) => d !== v.shape[i]))
      throw new Error(`KVCache: k ${fmt(k.shape)} and v ${fmt(v.shape)} must both be [B, Hkv, S, D]`);
    this.k = k.keep();
    this.v = v.keep();
    this.held = k.shape[2]!;
  }

  /** An empty cache of `batch` rows, with room for `options.capacity` positions. */
  static empty(batch: number, kvHeads: number, headDim: number, options: KVCacheOptions = {}): KVCache {
    const capacity = options.capacity ?? 0;
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new Error(`KVCache.empty: options.capacity must be an integer >= 0, got ${String(capacity)}`);
    const cache = new KVCache(zeros([batch, kvHeads, capacity, headDim]), zeros([batch, kvHeads, capacity, headDim]));
    cache.held = 0;
    return cache;
  }

  /** Number of cached positions. */
  get length(): number {
    return this.held;
  }

  /** Positions the buffers have room for (length included). */
  get capacity(): number {
    return this.k.shape[2]!;
  }

  /**
   * Make room for at least `positions` positions in all: the capacity
   * doubles (or grows to `positions`, if more) and what is held is copied
   * once. Callers that build [B, capacity] inputs (segment ids) call it
   * before a step; `append` calls it too.
   */
  reserve(positions: number): void {
    if (!Number.isInteger(positions) || positions < 0)
      throw new Error(`KVCache.reserve: positions must be an integer >= 0, got ${positions}`);
    if (positions <= this.capacity) return;
    const capacity = Math.max(positions, 2 * this.capacity);
    const grow = (x: Tensor) =>
      noGrad(() => {
        const [b, h, , d] = x.shape as [number, number, number, number];
        const bigger = zeros([b, h, capacity, d], { dtype: x.dtype });
        if (this.held > 0) {
          const part = this.held === this.capacity ? x : slice(x, [0, 0, 0, 0], [b, h, this.held, d]);
          writeSlice(bigger, part, [0, 0, 0, 0]);
          if (part !== x) part.dispose();
        }
        return bigger.keep();
      });
    const k = grow(this.k);
    const v = grow(this.v);
    this.k.dispose();
    this.v.dispose();
    this.k = k;
    this.v = v;
  }

  /**
   * Write this step's keys and values [B, Hkv, T, D] after the ones held, in
   * place (growing first if they do not fit); returns the buffers to attend
   * over and the positions now held.
   */
  append(k: Tensor, v: Tensor): KVCacheView {
    const [b, h, , d] = this.k.shape as [number, number, number, number];
    for (const [name, x] of [
      ['k', k],
      ['v', v],
    ] as const) {
      if (x.rank !== 4 || x.shape[0] !== b || x.shape[1] !== h || x.shape[3] !== d)
        throw new Error(`KVCache.append: ${name} is ${fmt(x.shape)}, the cache holds [${b}, ${h}, S, ${d}]`);
    }
    if (v.shape[2] !== k.shape[2])
      throw new Error(`KVCache.append: k ${fmt(k.shape)} and v ${fmt(v.shape)} differ in length`);
    if (k.dtype !== this.k.dtype || v.dtype !== this.v.dtype)
      throw new Error(`KVCache.append: k is ${k.dtype} and v ${v.dtype}, the cache holds ${this.k.dtype}`);
    const t = k.shape[2]!;
    this.reserve(this.held + t);
    noGrad(() => {
      writeSlice(this.k, k, [0, 0, this.held, 0]);
      writeSlice(this.v, v, [0, 0, this.held, 0]);
    });
    this.held += t;
    return { k: this.k, v: this.v, length: this.held };
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

import { addon } from './addon.js';

/** One call of `dropout`. */
export interface DropoutParams {
  x: Float32Array;
  /** May be `x` itself; otherwise it must share no memory with it. */
  out: Float32Array;
  /** The stream element of x[0] (default 0): x[i] is element first + i. */
  first?: number;
  /** The Philox key: a seed's (seed mod 2^32, floor(seed / 2^32)). */
  key: readonly [k0: number, k1: number];
  /** An element is kept where its word >>> 8 is at least this (an integer in [0, 2^24]). */
  keepFrom: number;
  /** A kept element's factor (rounded to float32). */
  scale: number;
}

/**
 * Inverted dropout drawn from @molrl/gpu-backend's Philox4x32-10 stream: element
 * e (x[e - first]) takes word e mod 4 of the block at counter (floor(e / 4) mod
 * 2^32, floor(e / 2^34), 0, 0) and is kept, out = x * scale, where that word
 * >>> 8 reaches `keepFrom`; otherwise out = x * 0 (a signed zero). With AVX2,
 * eight blocks per step. Synchronous; a bad argument is an error naming it.
 */
export function dropout(p: DropoutParams): void {
  addon.dropout(p.x, p.out, p.first ?? 0, p.key[0], p.key[1], p.keepFrom, p.scale);
}

import { stridesOf } from '../shape.js';
import type { HostArray } from './storage.js';

/** dst = src (shape) permuted by perm: dst axis i is src axis perm[i]. dst must have src's length and type. */
export function permute(src: HostArray, shape: readonly number[], perm: readonly number[], dst: HostArray): void {
  const total = src.length;
  if (total === 0) return;
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const srcStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const walk = perm.map((p) => srcStrides[p]);
  const n = outShape[rank - 1];
  const step = walk[rank - 1];
  const counter = new Array<number>(rank - 1).fill(0);
  let srcBase = 0;
  for (let o = 0; o < total; o += n) {
    for (let i = 0, s = srcBase; i < n; i++, s += step) dst[o + i] = src[s];
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      srcBase += walk[d];
      if (counter[d] < outShape[d]) break;
      srcBase -= walk[d] * outShape[d];
      counter[d] = 0;
    }
  }
}

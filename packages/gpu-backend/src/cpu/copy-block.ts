import { stridesOf } from '../shape.js';
import type { HostArray } from './storage.js';

/**
 * Copy a block of `block` shape from src (at srcBegin) to dst (at dstBegin).
 * Both arrays are row-major with the given shapes and the same rank; the
 * innermost axis is copied as contiguous runs.
 */
export function copyBlock(
  src: HostArray,
  srcShape: readonly number[],
  srcBegin: readonly number[],
  dst: HostArray,
  dstShape: readonly number[],
  dstBegin: readonly number[],
  block: readonly number[],
): void {
  const rank = block.length;
  if (block.some((d) => d === 0)) return;
  if (rank === 0) {
    dst[0] = src[0];
    return;
  }
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  let srcOffset = 0;
  let dstOffset = 0;
  for (let i = 0; i < rank; i++) {
    srcOffset += srcBegin[i] * ss[i];
    dstOffset += dstBegin[i] * ds[i];
  }
  const run = block[rank - 1];
  const counter = new Array<number>(rank - 1).fill(0);
  let rows = 1;
  for (let i = 0; i < rank - 1; i++) rows *= block[i];
  for (let r = 0; r < rows; r++) {
    dst.set(src.subarray(srcOffset, srcOffset + run), dstOffset);
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]++;
      srcOffset += ss[d];
      dstOffset += ds[d];
      if (counter[d] < block[d]) break;
      srcOffset -= ss[d] * block[d];
      dstOffset -= ds[d] * block[d];
      counter[d] = 0;
    }
  }
}

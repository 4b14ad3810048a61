/**
 * Packing into the micro-kernel's layout. For each block of KC steps of k
 * (the last may be shorter), the rows of op(A) are cut into panels of MR
 * rows stored k-major (kc x MR, MR contiguous), and the columns of op(B) into
 * panels of NR columns stored k-major (kc x NR). The block starting at k0 holds
 * mPad * kc values, so panel p of that block starts at k0 * mPad + p * MR * kc.
 * Rows/columns past the matrix edge are zero, so the kernel never branches
 * on edges. Packing reads each element once, in the order that is
 * contiguous in the source for the given transpose.
 */

export interface PackSource {
  data: Float32Array;
  offset: number;
  /** Whether the operand is stored transposed (see GemmParams). */
  trans: boolean;
}

/**
 * Pack rows [m0, m0 + mCount) of op(A) (op(A) is m x k) into `dst` at `dstOffset`.
 * Writes roundUp(mCount, mr) * k values.
 */
export function packA(src: PackSource, m: number, k: number, m0: number, mCount: number, mr: number, kcMax: number, dst: Float32Array, dstOffset: number): void {
  const { data, offset, trans } = src;
  const mPad = Math.ceil(mCount / mr) * mr;
  for (let k0 = 0; k0 < k; k0 += kcMax) {
    const kc = Math.min(kcMax, k - k0);
    const blockBase = dstOffset + k0 * mPad;
    for (let p = 0; p * mr < mCount; p++) {
      const r0 = p * mr;
      const valid = Math.min(mr, mCount - r0);
      const panel = blockBase + p * mr * kc;
      if (trans) {
        // A stored k x m: the mr values of one k step are contiguous.
        for (let kk = 0; kk < kc; kk++) {
          const s = offset + (k0 + kk) * m + m0 + r0;
          const d = panel + kk * mr;
          let r = 0;
          for (; r < valid; r++) dst[d + r] = data[s + r]!;
          for (; r < mr; r++) dst[d + r] = 0;
        }
      } else {
        // A stored m x k: walk each row contiguously, scatter with stride mr.
        for (let r = 0; r < mr; r++) {
          const d = panel + r;
          if (r < valid) {
            const s = offset + (m0 + r0 + r) * k + k0;
            for (let kk = 0; kk < kc; kk++) dst[d + kk * mr] = data[s + kk]!;
          } else {
            for (let kk = 0; kk < kc; kk++) dst[d + kk * mr] = 0;
          }
        }
      }
    }
  }
}

/**
 * Pack columns [n0, n0 + nCount) of op(B) (op(B) is k x n) into `dst` at `dstOffset`.
 * Writes roundUp(nCount, nr) * k values.
 */
export function packB(src: PackSource, n: number, k: number, n0: number, nCount: number, nr: number, kcMax: number, dst: Float32Array, dstOffset: number): void {
  const { data, offset, trans } = src;
  const nPad = Math.ceil(nCount / nr) * nr;
  for (let k0 = 0; k0 < k; k0 += kcMax) {
    const kc = Math.min(kcMax, k - k0);
    const blockBase = dstOffset + k0 * nPad;
    for (let q = 0; q * nr < nCount; q++) {
      const c0 = q * nr;
      const valid = Math.min(nr, nCount - c0);
      const panel = blockBase + q * nr * kc;
      if (trans) {
        // B stored n x k: walk each column's k run contiguously.
        for (let c = 0; c < nr; c++) {
          const d = panel + c;
          if (c < valid) {
            const s = offset + (n0 + c0 + c) * k + k0;
            for (let kk = 0; kk < kc; kk++) dst[d + kk * nr] = data[s + kk]!;
          } else {
            for (let kk = 0; kk < kc; kk++) dst[d + kk * nr] = 0;
          }
        }
      } else {
        // B stored k x n: the nr values of one k step are contiguous.
        for (let kk = 0; kk < kc; kk++) {
          const s = offset + (k0 + kk) * n + n0 + c0;
          const d = panel + kk * nr;
          let c = 0;
          for (; c < valid; c++) dst[d + c] = data[s + c]!;
          for (; c < nr; c++) dst[d + c] = 0;
        }
      }
    }
  }
}

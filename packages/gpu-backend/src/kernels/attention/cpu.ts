import { implement } from '../../registry.js';
import { attention, attentionGrad } from './contract.js';
import { assertInputCount, fmt, kernelError, sameShape } from '../../shape.js';
import { floatInput, floatOutput, intInput } from '../../cpu/host.js';
import { attentionDims } from './math.js';
import { gemmBatched } from '../../cpu/matmul/gemm-batched.js';
import { activeNative } from '../../cpu/matmul/gemm.js';
import { callNativeGemv } from '../../cpu/matmul/native-gemm.js';
import { simdRows } from '../../cpu/simd/simd.js';
import { scaleAdd } from '../../cpu/scale-add.js';

/** Query rows processed together: one GEMM for their scores, one for their outputs. */
export const ATTENTION_BLOCK_ROWS = 64;

/**
 * Query rows of a KV head up to which the forward's two products run on the native
 * matrix-vector kernel (decoding: the heads that share a KV head, times the step's
 * tokens): it reads the cached keys and values once, as stored, where the GEMM
 * would first copy them into packed panels for a product of a row or two.
 */
export const ATTENTION_GEMV_MAX_ROWS = 16;

/**
 * Float32 values of score scratch a forward (twice that for a backward) may
 * take for the blocks it computes together: the same block of every batch row
 * and KV head whose key window starts at the same key shares one batched GEMM
 * per product (the native GEMM's threads split the items; each item's product
 * is the one a call of its own computes, bit for bit). Mutable for tests; at
 * least one block is always taken.
 */
export const attentionScratch = { floats: 1 << 22 };

/**
 * Granularity of the key window of a block of queries in a packed row: the
 * keys before the block's first visible key (earlier segments), rounded down
 * to a multiple of this, are left out of its products. Steps this coarse keep
 * a segment's blocks on one window and leave a generation batch's left
 * padding (fewer keys) to the masking, its products as they were.
 */
export const ATTENTION_KEY_WINDOW = 256;

/**
 * The runs of equal segment ids along one batch row's keys, when every id forms
 * one run (packed sequences) and the scale is positive: a query's visible keys
 * are then its own run, so masking the others is two fills, and the scale is
 * left to the SIMD row kernels (-Infinity stays -Infinity scaled).
 */
export class SegmentRuns {
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** Whether the row last found has one run per id (and the scale allows the fills). */
  usable = false;

  constructor(keys: number) {
    this.start = new Int32Array(keys);
    this.end = new Int32Array(keys);
  }

  /**
   * The first key of the window of the queries at rows [r0, r0 + rows) of a
   * [group * T] block (query i = queryOffset + row % t): the smallest of their
   * runs' starts rounded down to ATTENTION_KEY_WINDOW; 0 without usable runs.
   */
  windowStart(r0: number, rows: number, t: number, queryOffset: number): number {
    if (!this.usable) return 0;
    let first = this.start.length;
    for (let r = r0; r < r0 + rows && first >= ATTENTION_KEY_WINDOW; r++) {
      first = Math.min(first, this.start[queryOffset + (r % t)] ?? 0);
    }
    return first - (first % ATTENTION_KEY_WINDOW);
  }

  find(seg: Int32Array, base: number, scale: number): void {
    this.usable = false;
    if (!(scale > 0)) return;
    const keys = this.start.length;
    const seen = new Set<number>();
    for (let from = 0, j = 1; j <= keys; j++) {
      if (j < keys && seg[base + j] === seg[base + from]) continue;
      const id = seg[base + from]!;
      if (seen.has(id)) return;
      seen.add(id);
      this.start.fill(from, from, j);
      this.end.fill(j, from, j);
      from = j;
    }
    this.usable = true;
  }
}

/**
 * How a kernel walks its items (a batch row's query heads that share a KV head,
 * i = bi * hkv + kvh): their rows, the block of them worked on at a time, the
 * strides between items' queries and keys, and how many items' blocks one call
 * takes within the score scratch (`scoreBuffers` blocks of scores per item).
 */
function itemLayout(batch: number, group: number, hkv: number, t: number, s: number, d: number, scoreBuffers: number) {
  const rowsPerKv = group * t;
  const block = Math.min(ATTENTION_BLOCK_ROWS, rowsPerKv);
  const items = batch * hkv;
  const perCall = Math.max(1, Math.min(items, Math.floor(attentionScratch.floats / (scoreBuffers * block * s))));
  return { rowsPerKv, block, items, qStride: rowsPerKv * d, kvStride: s * d, perCall };
}

/**
 * The blocks a kernel works on, one group at a time: for each block of query rows
 * [r0, r0 + rows) of an item, the items from i0 on (count, at most perCall) whose
 * block starts its key window at the same key, with that window [first, keyEnd):
 * every item of rows without segments, and in packed rows those whose window
 * starts at the same step. Each item keeps its blocks in order.
 */
function* blockGroups(
  layout: ReturnType<typeof itemLayout>,
  g: { t: number; s: number; queryOffset: number; causal: boolean; hkv: number },
  runs: SegmentRuns[] | null,
): Generator<{ r0: number; rows: number; i0: number; first: number; keyEnd: number; count: number }> {
  const { rowsPerKv, block, items, perCall } = layout;
  for (let r0 = 0; r0 < rowsPerKv; r0 += block) {
    const rows = Math.min(block, rowsPerKv - r0);
    const keys = (item: number) =>
      blockKeys(r0, rows, g.t, g.s, g.queryOffset, g.causal, runs?.[Math.floor(item / g.hkv)] ?? null);
    for (let i0 = 0; i0 < items;) {
      const { first, keyEnd } = keys(i0);
      let count = 1;
      while (count < perCall && i0 + count < items && keys(i0 + count).first === first) count++;
      yield { r0, rows, i0, first, keyEnd, count };
      i0 += count;
    }
  }
}

/**
 * `count` float32 products C_j = op(A_j) op(B_j) (m x n, inner size k), item j's
 * operands at at + j * stride: one batched GEMM for the items of a block group.
 */
function stridedProducts(
  count: number,
  a: Float32Array,
  aAt: number,
  strideA: number,
  transA: boolean,
  b: Float32Array,
  bAt: number,
  strideB: number,
  transB: boolean,
  c: Float32Array,
  cAt: number,
  strideC: number,
  m: number,
  n: number,
  k: number,
): void {
  gemmBatched({
    a,
    aOffset: aAt,
    strideA,
    transA,
    b,
    bOffset: bAt,
    strideB,
    transB,
    bElement: 'f32',
    c,
    cOffset: cAt,
    strideC,
    m,
    n,
    k,
    batch: count,
  });
}

/** Each batch row's segment runs (rows are worked on together, block by block). */
function batchRuns(seg: Int32Array, batch: number, s: number, scale: number): SegmentRuns[] {
  return Array.from({ length: batch }, (_, bi) => {
    const runs = new SegmentRuns(s);
    runs.find(seg, bi * s, scale);
    return runs;
  });
}

/**
 * The keys [first, keyEnd) that the query rows [r0, r0 + rows) of a
 * [group * T] block work on: up to the last row's causal limit, and in a
 * packed row from the block's key window (the earlier segments' keys left out,
 * see ATTENTION_KEY_WINDOW).
 */
function blockKeys(
  r0: number,
  rows: number,
  t: number,
  s: number,
  queryOffset: number,
  causal: boolean,
  runs: SegmentRuns | null,
): { first: number; keyEnd: number } {
  const lastI = Math.floor(r0 / t) === Math.floor((r0 + rows - 1) / t) ? (r0 + rows - 1) % t : t - 1;
  const keyEnd = causal ? Math.min(s, queryOffset + lastI + 1) : s;
  const first = runs ? Math.min(runs.windowStart(r0, rows, t, queryOffset), keyEnd) : 0;
  return { first, keyEnd };
}

/**
 * A score row of query position `query` (keys [first, limit), the row's entry
 * 0 being key `first`): keys of another segment get -Infinity. Returns the
 * scale the row kernels still apply: with usable runs the row is left unscaled
 * (two fills mask it); otherwise it is scaled here, key by key, and the
 * kernels apply 1. The scaled values are the same float32 products either way.
 * A window (first > 0) needs usable runs.
 */
export function maskOtherSegments(
  row: Float32Array,
  at: number,
  limit: number,
  seg: Int32Array,
  segBase: number,
  query: number,
  scale: number,
  runs: SegmentRuns | null,
  first = 0,
): number {
  if (runs?.usable) {
    const from = at - first;
    row.fill(-Infinity, at, from + Math.max(first, Math.min(runs.start[query]!, limit)));
    row.fill(-Infinity, from + Math.max(first, Math.min(runs.end[query]!, limit)), from + limit);
    return scale;
  }
  if (first !== 0) throw new Error('maskOtherSegments: a key window needs usable segment runs');
  const querySeg = seg[segBase + query];
  for (let j = 0; j < limit; j++) row[at + j] = seg[segBase + j] === querySeg ? row[at + j]! * scale : -Infinity;
  return 1;
}

/**
 * Scaled dot-product attention, blocked over query rows (the score matrix of
 * one block is the only temporary, kept in the WebAssembly memory of the
 * SIMD row kernels). Key j is visible to query i when j <= queryOffset + i
 * (causal) and both lie in the same segment; a query that sees no key gets a
 * zero output and lse = -Infinity. Per row, in SIMD: the maximum of the
 * scaled scores and exp(scaled - max) with its float64 sum; the output row
 * (P V over the unnormalised P) is divided by the sum afterwards, d values
 * instead of a row of probabilities. In rows with segments the keys of
 * other segments are set to -Infinity first (two fills where every segment
 * is one run of keys, as in packed sequences; else key by key).
 */
const attentionKernel = implement(attention, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('attention', inputs, 3, 4);
  const [qInfo, kInfo, vInfo, segInfo] = inputs;
  const { b: batch, hq, hkv, t, s, d, queryOffset } = attentionDims('attention', qInfo, kInfo, vInfo, segInfo, attrs);
  const out = floatOutput(backend, [batch, hq, t, d]);
  const lseOut = floatOutput(backend, [batch, hq, t]);
  if (batch * hq * t === 0) return [out.info, lseOut.info];
  const q = floatInput(backend, qInfo, 'attention');
  const k = floatInput(backend, kInfo, 'attention');
  const v = floatInput(backend, vInfo, 'attention');
  const seg = segInfo ? intInput(backend, segInfo, 'attention', 'segmentIds') : null;
  const o = out.data;
  const lse = lseOut.data;
  const scale = attrs.scale;
  const causal = attrs.causal === true;
  const group = hq / hkv;
  // The query heads that share a KV head are consecutive, so their rows form
  // one contiguous [group * T, D] matrix against the same keys: blocks of it
  // make taller GEMMs (decoding with GQA gets `group` rows instead of 1). Item
  // i = bi * hkv + kvh is such a matrix: its queries (and outputs) start at row
  // i * group * T, its keys and values at i * S, so the items of a block are
  // evenly strided operands of one batched GEMM.
  const layout = itemLayout(batch, group, hkv, t, s, d, 1);
  const { rowsPerKv, block, qStride, kvStride, perCall } = layout;
  const simd = simdRows();
  const scoresAt = simd.reserve(perCall * block * s);
  const scores = simd.f32;
  const { kernels, params } = simd;
  const inverseSum = new Float64Array(perCall * block);
  // Decoding's few rows per KV head: the native matrix-vector kernel, when the native GEMM is the one in use.
  const native = block <= ATTENTION_GEMV_MAX_ROWS ? activeNative() : null;
  const runs = seg ? batchRuns(seg, batch, s, scale) : null;
  for (const { r0, rows, i0, first, keyEnd, count } of blockGroups(layout, { t, s, queryOffset, causal, hkv }, runs)) {
    const width = keyEnd - first;
    const itemScores = rows * width;
    const qAt = i0 * qStride + r0 * d;
    const kvAt = i0 * kvStride + first * d;
    if (native)
      for (let j = 0; j < count; j++)
        callNativeGemv(
          native,
          q,
          qAt + j * qStride,
          false,
          k,
          kvAt + j * kvStride,
          true,
          0,
          scores,
          scoresAt + j * itemScores,
          rows,
          width,
          d,
        );
    else
      stridedProducts(
        count,
        q,
        qAt,
        qStride,
        false,
        k,
        kvAt,
        kvStride,
        true,
        scores,
        scoresAt,
        itemScores,
        rows,
        width,
        d,
      );
    for (let j = 0; j < count; j++) {
      const item = i0 + j;
      const bi = Math.floor(item / hkv);
      const segBase = bi * s;
      const itemRuns = runs?.[bi] ?? null;
      const rowBase = item * rowsPerKv; // first query row (and lse entry) of the item
      for (let r = 0; r < rows; r++) {
        const i = (r0 + r) % t;
        const row = scoresAt + j * itemScores + r * width;
        const limit = causal ? Math.max(0, Math.min(keyEnd, queryOffset + i + 1)) : keyEnd;
        // The row's entries: keys [first, limit) of the window.
        const visible = Math.max(0, limit - first);
        const lseIndex = rowBase + r0 + r;
        params[0] = scale;
        if (seg)
          params[0] = maskOtherSegments(scores, row, limit, seg, segBase, queryOffset + i, scale, itemRuns, first);
        let m = -Infinity;
        if (visible > 0) {
          kernels.max_scaled(row * 4, visible);
          m = simd.maxResult();
        }
        scores.fill(0, row + visible, row + width);
        if (m === -Infinity) {
          // No visible key: a zero output.
          scores.fill(0, row, row + visible);
          lse[lseIndex] = -Infinity;
          inverseSum[j * block + r] = 0;
          continue;
        }
        params[1] = m;
        kernels.exp_sum(row * 4, visible);
        const sum = simd.sumResult();
        lse[lseIndex] = m + Math.log(sum);
        inverseSum[j * block + r] = 1 / sum;
      }
    }
    if (native)
      for (let j = 0; j < count; j++)
        callNativeGemv(
          native,
          scores,
          scoresAt + j * itemScores,
          false,
          v,
          kvAt + j * kvStride,
          false,
          0,
          o,
          qAt + j * qStride,
          rows,
          d,
          width,
        );
    else
      stridedProducts(
        count,
        scores,
        scoresAt,
        itemScores,
        false,
        v,
        kvAt,
        kvStride,
        false,
        o,
        qAt,
        qStride,
        rows,
        d,
        width,
      );
    for (let j = 0; j < count; j++)
      for (let r = 0; r < rows; r++) {
        const f = inverseSum[j * block + r];
        for (let c = qAt + j * qStride + r * d, end = c + d; c < end; c++) o[c] *= f;
      }
  }
  return [out.info, lseOut.info];
});

/**
 * Backward of attention, flash-attention style: the probabilities are
 * recomputed per query block from the saved row log-sum-exp,
 *   P = exp(scale * Q K^T - lse)            (0 where masked)
 *   dV += P^T dO
 *   dP = dO V^T,  delta_i = sum_d dO_id O_id
 *   dS = P * (dP - delta) * scale
 *   dQ = dS K,    dK += dS^T Q
 * with dK and dV summed over the query heads that share a key/value head.
 */
const attentionGradKernel = implement(attentionGrad, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('attentionGrad', inputs, 6, 7);
  const [dOutInfo, qInfo, kInfo, vInfo, outInfo, lseInfo, segInfo] = inputs;
  const {
    b: batch,
    hq,
    hkv,
    t,
    s,
    d,
    queryOffset,
  } = attentionDims('attentionGrad', qInfo, kInfo, vInfo, segInfo, attrs);
  if (!sameShape(dOutInfo.shape, qInfo.shape) || !sameShape(outInfo.shape, qInfo.shape)) {
    throw kernelError(
      'attentionGrad',
      `dOut ${fmt(dOutInfo.shape)} and out ${fmt(outInfo.shape)} must match q ${fmt(qInfo.shape)}`,
    );
  }
  if (!sameShape(lseInfo.shape, [batch, hq, t])) {
    throw kernelError('attentionGrad', `lse ${fmt(lseInfo.shape)} must be [${batch}, ${hq}, ${t}]`);
  }
  const dqOut = floatOutput(backend, qInfo.shape);
  const dkOut = floatOutput(backend, kInfo.shape);
  const dvOut = floatOutput(backend, vInfo.shape);
  if (batch * hq * t * s === 0) return [dqOut.info, dkOut.info, dvOut.info];
  const dO = floatInput(backend, dOutInfo, 'attentionGrad');
  const q = floatInput(backend, qInfo, 'attentionGrad');
  const k = floatInput(backend, kInfo, 'attentionGrad');
  const v = floatInput(backend, vInfo, 'attentionGrad');
  const o = floatInput(backend, outInfo, 'attentionGrad');
  const lse = floatInput(backend, lseInfo, 'attentionGrad');
  const seg = segInfo ? intInput(backend, segInfo, 'attentionGrad', 'segmentIds') : null;
  const dq = dqOut.data;
  const dk = dkOut.data;
  const dv = dvOut.data;
  const scale = attrs.scale;
  const causal = attrs.causal === true;
  const group = hq / hkv;
  // As in the forward: the rows of all query heads sharing a KV head form one matrix (an item),
  // and the same block of the items whose key window starts at the same key is one batched GEMM.
  const layout = itemLayout(batch, group, hkv, t, s, d, 2);
  const { rowsPerKv, block, qStride, kvStride, perCall } = layout;
  const simd = simdRows();
  const pAt = simd.reserve(2 * perCall * block * s);
  const dsAt = pAt + perCall * block * s;
  const scratch = simd.f32;
  const { kernels, params } = simd;
  const partial = new Float32Array(perCall * s * d);
  const delta = new Float64Array(block);
  const runs = seg ? batchRuns(seg, batch, s, scale) : null;
  for (const { r0, rows, i0, first, keyEnd, count } of blockGroups(layout, { t, s, queryOffset, causal, hkv }, runs)) {
    const width = keyEnd - first;
    if (width <= 0) continue;
    const itemScores = rows * width;
    const qAt = i0 * qStride + r0 * d;
    const kvAt = i0 * kvStride + first * d;
    // P (unnormalised scores) = Q K^T, dP = dO V^T
    stridedProducts(count, q, qAt, qStride, false, k, kvAt, kvStride, true, scratch, pAt, itemScores, rows, width, d);
    stridedProducts(count, dO, qAt, qStride, false, v, kvAt, kvStride, true, scratch, dsAt, itemScores, rows, width, d);
    for (let j = 0; j < count; j++) {
      const item = i0 + j;
      const bi = Math.floor(item / hkv);
      const segBase = bi * s;
      const itemRuns = runs?.[bi] ?? null;
      const rowOffset = qAt + j * qStride;
      for (let r = 0; r < rows; r++) {
        let acc = 0;
        const base = rowOffset + r * d;
        for (let c = 0; c < d; c++) acc += dO[base + c] * o[base + c];
        delta[r] = acc;
      }
      for (let r = 0; r < rows; r++) {
        const i = (r0 + r) % t;
        const p = pAt + j * itemScores + r * width;
        const ds = dsAt + j * itemScores + r * width;
        const limit = causal ? Math.max(0, Math.min(keyEnd, queryOffset + i + 1)) : keyEnd;
        const visible = Math.max(0, limit - first);
        const rowLse = lse[item * rowsPerKv + r0 + r];
        scratch.fill(0, p + visible, p + width);
        scratch.fill(0, ds + visible, ds + width);
        if (rowLse === -Infinity) {
          // The query saw no key: no probability, no gradient.
          scratch.fill(0, p, p + visible);
          scratch.fill(0, ds, ds + visible);
          continue;
        }
        params[0] = scale;
        // A key of another segment gets -Infinity: its probability is 0.
        if (seg)
          params[0] = maskOtherSegments(scratch, p, limit, seg, segBase, queryOffset + i, scale, itemRuns, first);
        params[1] = rowLse;
        params[2] = delta[r];
        params[3] = scale;
        kernels.attention_grad_row(p * 4, ds * 4, visible);
      }
    }
    // dQ rows of these blocks, written in place.
    stridedProducts(
      count,
      scratch,
      dsAt,
      itemScores,
      false,
      k,
      kvAt,
      kvStride,
      false,
      dq,
      qAt,
      qStride,
      rows,
      d,
      width,
    );
    // dK[first:keyEnd] += dS^T Q_block ; dV[first:keyEnd] += P^T dO_block, item by item
    // (each += through scaleAdd with s = 1: the float32 add, on the native addon where it runs)
    const span = width * d;
    const accumulate = (into: Float32Array) => {
      for (let j = 0; j < count; j++) {
        const at = kvAt + j * kvStride;
        const target = into.subarray(at, at + span);
        scaleAdd(target, partial.subarray(j * span, (j + 1) * span), target, 1);
      }
    };
    stridedProducts(count, scratch, dsAt, itemScores, true, q, qAt, qStride, false, partial, 0, span, width, d, rows);
    accumulate(dk);
    stridedProducts(count, scratch, pAt, itemScores, true, dO, qAt, qStride, false, partial, 0, span, width, d, rows);
    accumulate(dv);
  }
  return [dqOut.info, dkOut.info, dvOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [attentionKernel, attentionGradKernel];

import { expf } from '../../cpu/expf.js';
import { implement } from '../../registry.js';
import { attention, attentionGrad } from './contract.js';
import { assertInputCount, fmt, kernelError, sameShape } from '../../shape.js';
import { floatInput, floatOutput, intInput } from '../../cpu/host.js';
import { attentionDims } from './math.js';
import { gemmBlock } from '../../cpu/gemm-block.js';

/** Query rows processed together: one GEMM for their scores, one for their outputs. */
export const ATTENTION_BLOCK_ROWS = 64;

/**
 * Scaled dot-product attention, blocked over query rows (the score matrix of
 * one block is the only temporary). Key j is visible to query i when
 * j <= queryOffset + i (causal) and both lie in the same segment; a query
 * that sees no key gets a zero output and lse = -Infinity.
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
  // make taller GEMMs (decoding with GQA gets `group` rows instead of 1).
  const rowsPerKv = group * t;
  const block = Math.min(ATTENTION_BLOCK_ROWS, rowsPerKv);
  const scores = new Float32Array(block * s);
  for (let bi = 0; bi < batch; bi++) {
    const segBase = bi * s;
    for (let kvh = 0; kvh < hkv; kvh++) {
      const rowBase = (bi * hq + kvh * group) * t; // first query row (and lse entry) of the group
      const kvBase = (bi * hkv + kvh) * s * d;
      for (let r0 = 0; r0 < rowsPerKv; r0 += block) {
        const rows = Math.min(block, rowsPerKv - r0);
        const lastI = Math.floor(r0 / t) === Math.floor((r0 + rows - 1) / t) ? (r0 + rows - 1) % t : t - 1;
        const keyEnd = causal ? Math.min(s, queryOffset + lastI + 1) : s;
        gemmBlock(q, (rowBase + r0) * d, k, kvBase, scores, 0, rows, keyEnd, d, false, true);
        for (let r = 0; r < rows; r++) {
          const i = (r0 + r) % t;
          const row = r * keyEnd;
          const limit = causal ? Math.min(keyEnd, queryOffset + i + 1) : keyEnd;
          const querySeg = seg ? seg[segBase + queryOffset + i] : 0;
          let m = -Infinity;
          let sum = 0;
          if (seg) {
            for (let j = 0; j < limit; j++) {
              if (seg[segBase + j] !== querySeg) continue;
              const x = scores[row + j] * scale;
              if (x > m) m = x;
            }
            for (let j = 0; j < keyEnd; j++) {
              let p = 0;
              if (j < limit && seg[segBase + j] === querySeg && m !== -Infinity) {
                p = expf(scores[row + j] * scale - m);
              }
              scores[row + j] = p;
              sum += p;
            }
          } else {
            // Without segments every key below the causal limit is visible: no test per element.
            for (let j = 0; j < limit; j++) {
              const x = scores[row + j] * scale;
              if (x > m) m = x;
            }
            if (m !== -Infinity) {
              for (let j = 0; j < limit; j++) {
                const p = expf(scores[row + j] * scale - m);
                scores[row + j] = p;
                sum += p;
              }
            } else scores.fill(0, row, row + limit);
            scores.fill(0, row + limit, row + keyEnd);
          }
          const lseIndex = rowBase + r0 + r;
          if (sum === 0) {
            lse[lseIndex] = -Infinity;
            continue;
          }
          lse[lseIndex] = m + Math.log(sum);
          const inv = 1 / sum;
          for (let j = 0; j < keyEnd; j++) scores[row + j] *= inv;
        }
        gemmBlock(scores, 0, v, kvBase, o, (rowBase + r0) * d, rows, d, keyEnd, false, false);
      }
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
  // As in the forward: the rows of all query heads sharing a KV head form one matrix.
  const rowsPerKv = group * t;
  const block = Math.min(ATTENTION_BLOCK_ROWS, rowsPerKv);
  const p = new Float32Array(block * s);
  const ds = new Float32Array(block * s);
  const partial = new Float32Array(s * d);
  const delta = new Float64Array(block);
  for (let bi = 0; bi < batch; bi++) {
    const segBase = bi * s;
    for (let kvh = 0; kvh < hkv; kvh++) {
      const rowBase = (bi * hq + kvh * group) * t;
      const kvBase = (bi * hkv + kvh) * s * d;
      for (let r0 = 0; r0 < rowsPerKv; r0 += block) {
        const rows = Math.min(block, rowsPerKv - r0);
        const lastI = Math.floor(r0 / t) === Math.floor((r0 + rows - 1) / t) ? (r0 + rows - 1) % t : t - 1;
        const keyEnd = causal ? Math.min(s, queryOffset + lastI + 1) : s;
        if (keyEnd <= 0) continue;
        const rowOffset = (rowBase + r0) * d;
        gemmBlock(q, rowOffset, k, kvBase, p, 0, rows, keyEnd, d, false, true);
        gemmBlock(dO, rowOffset, v, kvBase, ds, 0, rows, keyEnd, d, false, true);
        for (let r = 0; r < rows; r++) {
          let acc = 0;
          const base = rowOffset + r * d;
          for (let c = 0; c < d; c++) acc += dO[base + c] * o[base + c];
          delta[r] = acc;
        }
        for (let r = 0; r < rows; r++) {
          const i = (r0 + r) % t;
          const row = r * keyEnd;
          const limit = causal ? Math.min(keyEnd, queryOffset + i + 1) : keyEnd;
          const rowLse = lse[rowBase + r0 + r];
          const querySeg = seg ? seg[segBase + queryOffset + i] : 0;
          const dr = delta[r];
          if (seg || rowLse === -Infinity) {
            for (let j = 0; j < keyEnd; j++) {
              let prob = 0;
              if (j < limit && rowLse !== -Infinity && (!seg || seg[segBase + j] === querySeg)) {
                prob = expf(p[row + j] * scale - rowLse);
              }
              p[row + j] = prob;
              ds[row + j] = prob * (ds[row + j] - dr) * scale;
            }
          } else {
            // Without segments every key below the causal limit is visible: no test per element.
            for (let j = 0; j < limit; j++) {
              const prob = expf(p[row + j] * scale - rowLse);
              p[row + j] = prob;
              ds[row + j] = prob * (ds[row + j] - dr) * scale;
            }
            p.fill(0, row + limit, row + keyEnd);
            ds.fill(0, row + limit, row + keyEnd);
          }
        }
        // dQ rows of this block, written in place.
        gemmBlock(ds, 0, k, kvBase, dq, rowOffset, rows, d, keyEnd, false, false);
        // dK[0:keyEnd] += dS^T Q_block ; dV[0:keyEnd] += P^T dO_block
        gemmBlock(ds, 0, q, rowOffset, partial, 0, keyEnd, d, rows, true, false);
        for (let x = 0, n = keyEnd * d; x < n; x++) dk[kvBase + x] += partial[x];
        gemmBlock(p, 0, dO, rowOffset, partial, 0, keyEnd, d, rows, true, false);
        for (let x = 0, n = keyEnd * d; x < n; x++) dv[kvBase + x] += partial[x];
      }
    }
  }
  return [dqOut.info, dkOut.info, dvOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [attentionKernel, attentionGradKernel];

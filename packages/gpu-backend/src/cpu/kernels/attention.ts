import { expf } from '../expf.js';
import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount } from '../../shape.js';
import { floatInput, floatOutput, intInput } from '../host.js';
import { attentionDims, type AttentionAttrs } from '../../kernel-math/attention.js';
import { gemmBlock } from './gemm-block.js';

/** Query rows processed together: one GEMM for their scores, one for their outputs. */
export const ATTENTION_BLOCK_ROWS = 64;

/**
 * Scaled dot-product attention, blocked over query rows (the score matrix of
 * one block is the only temporary). Key j is visible to query i when
 * j <= queryOffset + i (causal) and both lie in the same segment; a query
 * that sees no key gets a zero output and lse = -Infinity.
 */
export const attentionKernel: KernelConfig = {
  name: 'attention',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<AttentionAttrs>) => {
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
  },
};

import { implement } from '../../registry.js';
import { attention, attentionGrad } from './contract.js';
import type { TensorInfo } from '../../backend.js';
import { attentionDims, type AttentionAttrs } from './math.js';
import { assertInputCount, fmt, kernelError, sameShape } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { deviceKernel, type ArgType } from '../../gpujs/device-kernel.js';
import { divFloor } from '../../gpujs/index-math.js';
import { ROW_DOT } from '../softmax/gpujs.js';

/**
 * Causal attention with grouped KV heads as a chain of gpu.js launches over
 * the materialised [B, Hq, T, S] score matrix (gpu.js has no workgroup memory,
 * so a fused flash kernel is not expressible): scores, row log-sum-exp over the
 * visible keys, probabilities, then P V. The backward reuses the chain:
 *   dS = P * (dO V^T - rowsum(dO * O)) * scale,  dQ = dS K,
 *   dK = sum over the head group of dS^T Q,      dV = sum over the group of P^T dO.
 * Key j is visible to query i when j <= queryOffset + i (causal) and both are
 * in the same segment; a query that sees no key gets zero output, lse -Infinity.
 */

const SHAPE_PARAMS: ReadonlyArray<readonly [string, ArgType]> = [
  ['t', 'Integer'],
  ['s', 'Integer'],
  ['d', 'Integer'],
  ['hq', 'Integer'],
  ['hkv', 'Integer'],
  ['group', 'Integer'],
  ['qo', 'Integer'],
  ['causal', 'Integer'],
  ['hasSeg', 'Integer'],
];

/** From `row` (a (b, h, t) query row): ti, bi, hi and the key/value head's first row `kvRow` (of S). */
const QUERY_ROW = `
${divFloor('bh', 'row', 't')}
const ti = row - bh * t;
${divFloor('bi', 'bh', 'hq')}
const hi = bh - bi * hq;
${divFloor('hk', 'hi', 'group')}
const kvRow = (bi * hkv + hk) * s;`;

/**
 * Declares `name` (1 or 0): whether key `key` is visible to the query row
 * decoded by QUERY_ROW. gpu.js hoists every declaration to the kernel's
 * scope, so each use needs its own names.
 */
function visible(name: string, key: string): string {
  return `
let ${name} = 1;
if (causal > 0 && ${key} > qo + ti) {
  ${name} = 0;
}
if (hasSeg > 0) {
  if (seg[bi * s + ${key}] != seg[bi * s + qo + ti]) {
    ${name} = 0;
  }
}`;
}

/** scale * q[row] . k[key], unmasked; one thread per (row, key). */
const SCORES = deviceKernel(
  'attention_scores',
  [['q', 'Array'], ['k', 'Array'], ...SHAPE_PARAMS, ['scale', 'Float']],
  `
const idx = this.thread.x;
${divFloor('row', 'idx', 's')}
const key = idx - row * s;
${QUERY_ROW}
let acc = 0.0;
for (let j = 0; j < d; j++) {
  acc += q[row * d + j] * k[(kvRow + key) * d + j];
}
return acc * scale;`,
);

/** Log-sum-exp over the visible keys of a query row; -Infinity (m + log 0) where none is visible. */
const ROW_LSE = deviceKernel(
  'attention_lse',
  [['scores', 'Array'], ['seg', 'Array'], ...SHAPE_PARAMS],
  `
const row = this.thread.x;
${QUERY_ROW}
let m = -Infinity;
for (let key = 0; key < s; key++) {
  ${visible('seen', 'key')}
  const v = scores[row * s + key];
  if (seen > 0 && v > m) {
    m = v;
  }
}
let total = 0.0;
for (let key2 = 0; key2 < s; key2++) {
  ${visible('counted', 'key2')}
  if (counted > 0) {
    total += Math.exp(scores[row * s + key2] - m);
  }
}
return m + Math.log(total);`,
);

/** exp(score - lse) for visible keys of rows that see any key, else 0. */
const PROBS = deviceKernel(
  'attention_probs',
  [['scores', 'Array'], ['lse', 'Array'], ['seg', 'Array'], ...SHAPE_PARAMS],
  `
const idx = this.thread.x;
${divFloor('row', 'idx', 's')}
const key = idx - row * s;
${QUERY_ROW}
${visible('seen', 'key')}
const l = lse[row];
if (seen == 0 || l < -3.0e38) {
  return 0.0;
}
return Math.exp(scores[idx] - l);`,
);

/** out[row, j] = sum_key a[row, key] * kv[kvRow + key, j]: P V forward, dS K for dQ. */
const ROWS_TIMES_KV = deviceKernel(
  'attention_rows_kv',
  [['a', 'Array'], ['kv', 'Array'], ...SHAPE_PARAMS],
  `
const idx = this.thread.x;
${divFloor('row', 'idx', 'd')}
const j = idx - row * d;
${QUERY_ROW}
let acc = 0.0;
for (let key = 0; key < s; key++) {
  acc += a[row * s + key] * kv[(kvRow + key) * d + j];
}
return acc;`,
);

/** dS = P * (dO[row] . v[key] - delta[row]) * scale. */
const SCORE_GRAD = deviceKernel(
  'attention_dscores',
  [['p', 'Array'], ['dOut', 'Array'], ['v', 'Array'], ['delta', 'Array'], ...SHAPE_PARAMS, ['scale', 'Float']],
  `
const idx = this.thread.x;
const pv = p[idx];
if (pv == 0.0) {
  return 0.0;
}
${divFloor('row', 'idx', 's')}
const key = idx - row * s;
${QUERY_ROW}
let dp = 0.0;
for (let j = 0; j < d; j++) {
  dp += dOut[row * d + j] * v[(kvRow + key) * d + j];
}
return pv * (dp - delta[row]) * scale;`,
);

/**
 * out[(b, hk, key), j] = sum over the group's query rows r of a[r, key] * x[r, j]:
 * dK (a = dS, x = Q) and dV (a = P, x = dO). A group's query rows are
 * contiguous: rows (b * hq + hk * group) * t ... + group * t.
 */
const GROUP_ROWS_TRANSPOSED = deviceKernel(
  'attention_group_rows',
  [['a', 'Array'], ['x', 'Array'], ...SHAPE_PARAMS],
  `
const idx = this.thread.x;
${divFloor('kvIndex', 'idx', 'd')}
const j = idx - kvIndex * d;
${divFloor('bhk', 'kvIndex', 's')}
const key = kvIndex - bhk * s;
${divFloor('bi', 'bhk', 'hkv')}
const hk = bhk - bi * hkv;
const first = (bi * hq + hk * group) * t;
const rows = group * t;
let acc = 0.0;
for (let r = 0; r < rows; r++) {
  acc += a[(first + r) * s + key] * x[(first + r) * d + j];
}
return acc;`,
);

interface Prepared {
  shape: unknown[];
  seg: () => Float32Array;
  dims: ReturnType<typeof attentionDims>;
}

function prepare(
  be: GpujsBackend,
  kernel: string,
  q: TensorInfo,
  k: TensorInfo,
  v: TensorInfo,
  segmentIds: TensorInfo | undefined,
  attrs: AttentionAttrs,
): Prepared {
  const dims = attentionDims(kernel, q, k, v, segmentIds, attrs);
  const { t, s, d, hq, hkv, queryOffset } = dims;
  const group = hkv === 0 ? 1 : hq / hkv;
  const noSegments = new Float32Array(1);
  return {
    dims,
    shape: [t, s, d, hq, hkv, group, queryOffset, attrs.causal === true ? 1 : 0, segmentIds ? 1 : 0],
    seg: () => (segmentIds ? be.floats(segmentIds) : noSegments),
  };
}

/**
 * Scores and probabilities of the chain; the forward also fills `lse` (the
 * backward is given it). The caller releases both temporaries.
 */
function probabilities(
  be: GpujsBackend,
  p: Prepared,
  q: TensorInfo,
  k: TensorInfo,
  scale: number,
  lse: TensorInfo,
  computeLse: boolean,
): { scores: TensorInfo; probs: TensorInfo } {
  const { b, hq, t, s } = p.dims;
  const scores = be.output([b, hq, t, s]);
  be.launch(SCORES, scores, () => [be.floats(q), be.floats(k), ...p.shape, scale]);
  if (computeLse) be.launch(ROW_LSE, lse, () => [be.floats(scores), p.seg(), ...p.shape]);
  const probs = be.output([b, hq, t, s]);
  be.launch(PROBS, probs, () => [be.floats(scores), be.floats(lse), p.seg(), ...p.shape]);
  return { scores, probs };
}

const attentionKernel = implement(attention, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('attention', inputs, 3, 4);
  const be = backend as GpujsBackend;
  const [q, k, v, segmentIds] = inputs;
  const p = prepare(be, 'attention', q, k, v, segmentIds, attrs);
  const { b, hq, t, d } = p.dims;
  const out = be.output([b, hq, t, d]);
  const lse = be.output([b, hq, t]);
  const { scores, probs } = probabilities(be, p, q, k, attrs.scale, lse, true);
  be.launch(ROWS_TIMES_KV, out, () => [be.floats(probs), be.floats(v), ...p.shape]);
  be.release(scores.storage);
  be.release(probs.storage);
  return [out, lse];
});

const attentionGradKernel = implement(attentionGrad, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('attentionGrad', inputs, 6, 7);
  const be = backend as GpujsBackend;
  const [dOut, q, k, v, out, lse, segmentIds] = inputs;
  const p = prepare(be, 'attentionGrad', q, k, v, segmentIds, attrs);
  const { b, hq, t, d } = p.dims;
  if (!sameShape(dOut.shape, q.shape) || !sameShape(out.shape, q.shape)) {
    throw kernelError(
      'attentionGrad',
      `dOut ${fmt(dOut.shape)} and out ${fmt(out.shape)} must match q ${fmt(q.shape)}`,
    );
  }
  if (!sameShape(lse.shape, [b, hq, t]))
    throw kernelError('attentionGrad', `lse ${fmt(lse.shape)} must be [${b}, ${hq}, ${t}]`);
  const dq = be.output(q.shape);
  const dk = be.output(k.shape);
  const dv = be.output(v.shape);
  const { scores, probs } = probabilities(be, p, q, k, attrs.scale, lse, false);
  const delta = be.output([b, hq, t]);
  be.launch(ROW_DOT, delta, () => [be.floats(dOut), be.floats(out), d, 1]);
  const dScores = be.output([b, hq, t, p.dims.s]);
  be.launch(SCORE_GRAD, dScores, () => [
    be.floats(probs),
    be.floats(dOut),
    be.floats(v),
    be.floats(delta),
    ...p.shape,
    attrs.scale,
  ]);
  be.launch(ROWS_TIMES_KV, dq, () => [be.floats(dScores), be.floats(k), ...p.shape]);
  be.launch(GROUP_ROWS_TRANSPOSED, dk, () => [be.floats(dScores), be.floats(q), ...p.shape]);
  be.launch(GROUP_ROWS_TRANSPOSED, dv, () => [be.floats(probs), be.floats(dOut), ...p.shape]);
  for (const temporary of [scores, probs, delta, dScores]) be.release(temporary.storage);
  return [dq, dk, dv];
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [attentionKernel, attentionGradKernel];

import type { TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { assertDType, fmt, kernelError, sameShape } from '../../shape.js';
import type { WebgpuBackend } from '../../webgpu/backend.js';
import { buf, gpu, output } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate, type UniformLayout } from '../../webgpu/shader.js';
import { attention, attentionGrad } from './contract.js';
import { attentionDims, type AttentionAttrs } from './math.js';

/**
 * Threads per workgroup. Each thread carries a whole query (or key) row, so a
 * launch has only B*H*T threads: small workgroups spread them over every
 * multiprocessor (256 would leave most of an H100 idle at T = 1024).
 */
const WG = 64;

/** The uniforms every attention shader reads. */
const UNIFORMS: UniformLayout = [
  ['rows', 'u32'],
  ['keys', 'u32'],
  ['Hq', 'u32'],
  ['Hkv', 'u32'],
  ['T', 'u32'],
  ['S', 'u32'],
  ['qOff', 'i32'],
  ['scale', 'f32'],
];

interface AttentionPlan {
  B: number;
  Hq: number;
  Hkv: number;
  T: number;
  S: number;
  D: number;
  uniforms: Record<string, number>;
  seg: TensorInfo | undefined;
}

function plan(
  name: string,
  q: TensorInfo,
  k: TensorInfo,
  v: TensorInfo,
  seg: TensorInfo | undefined,
  attrs: AttentionAttrs,
): AttentionPlan {
  for (const [t, w] of [
    [q, 'q'],
    [k, 'k'],
    [v, 'v'],
  ] as const)
    assertDType(name, w, t, 'float32');
  const { b: B, hq: Hq, hkv: Hkv, t: T, s: S, d: D, queryOffset } = attentionDims(name, q, k, v, seg, attrs);
  const uniforms = {
    rows: B * Hq * T,
    keys: B * Hkv * S,
    Hq,
    Hkv,
    T,
    S,
    qOff: queryOffset,
    scale: attrs.scale,
  };
  return { B, Hq, Hkv, T, S, D, uniforms, seg };
}

const SEG_DECL = (binding: number) => `@group(0) @binding(${binding}) var<storage, read> SEG: array<i32>;`;

/** WGSL: `visible(b, t, j)` for query t and key j under the causal and segment masks. */
function visibility(causal: boolean, hasSeg: boolean): string {
  return /* wgsl */ `
fn visible(b: u32, t: u32, j: u32) -> bool {
  let p = i32(t) + u.qOff;
  ${causal ? 'if (i32(j) > p) { return false; }' : ''}
  ${hasSeg ? 'if (p < 0 || p >= i32(u.S)) { return false; } if (SEG[b * u.S + u32(p)] != SEG[b * u.S + j]) { return false; }' : ''}
  return true;
}`;
}

/** WGSL: the workgroup's flag for `skipUnseenTile` (an atomic the threads raise, and its value read uniformly). */
const TILE_FLAG_DECL = `var<workgroup> tileAny: atomic<u32>;
var<workgroup> tileSeen: u32;`;

/**
 * WGSL, inside a loop over tiles, with segment masks: `continue` (in every
 * thread alike) when no pair of the block's rows and the tile's columns is
 * visible, as for the tiles of a packed row's other segments: such a tile is
 * neither staged nor multiplied. Pair e of `count` is query `query` and key
 * `key`. Exact whatever the segment layout; two barriers per tile.
 */
function skipUnseenTile(count: number, threads: number, query: string, key: string): string {
  return /* wgsl */ `
    for (var e = lid; e < ${count}u; e += ${threads}u) {
      let tq = ${query};
      let jk = ${key};
      if (tq < u.T && jk < u.S && visible(bi, tq, jk)) { atomicOr(&tileAny, 1u); break; }
    }
    workgroupBarrier();
    if (lid == 0u) { tileSeen = atomicLoad(&tileAny); atomicStore(&tileAny, 0u); }
    if (workgroupUniformLoad(&tileSeen) == 0u) { continue; }`;
}

/** Rows are read as vec4 where D allows it (every real head size): a quarter of the loads and loop trips. */
function vectorized(D: number): { VT: string; N: number; ZERO: string; VDOT: string } {
  const v4 = D % 4 === 0;
  const VT = v4 ? 'vec4<f32>' : 'f32';
  return {
    VT,
    N: v4 ? D / 4 : D,
    ZERO: v4 ? 'vec4<f32>(0.0)' : '0.0',
    VDOT: `fn vdot(a: ${VT}, b: ${VT}) -> f32 { return ${v4 ? 'dot(a, b)' : 'a * b'}; }`,
  };
}

/** The parameters of most attention shaders: the head size and which masks apply. */
type MaskParams = { D: number; causal: boolean; seg: boolean };

/**
 * Forward: one thread per query row, online softmax over the keys with the
 * row's q and output accumulator in registers (D is baked into the shader).
 * A row that sees no key gets out = 0 and lse = -inf.
 */
const FORWARD = shaderTemplate('attention.forward', ({ D, causal, seg }: MaskParams) => {
  const { VT, N, ZERO, VDOT } = vectorized(D);
  return {
    uniforms: UNIFORMS,
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> Q: array<${VT}>;
@group(0) @binding(2) var<storage, read> K: array<${VT}>;
@group(0) @binding(3) var<storage, read> V: array<${VT}>;
@group(0) @binding(4) var<storage, read_write> O: array<${VT}>;
@group(0) @binding(5) var<storage, read_write> LSE: array<f32>;
${seg ? SEG_DECL(6) : ''}
${visibility(causal, seg)}
${VDOT}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let row = ${FLAT_WG} * ${WG}u + lid;
  if (row >= u.rows) { return; }
  let t = row % u.T;
  let bh = row / u.T;
  let h = bh % u.Hq;
  let bi = bh / u.Hq;
  let kvBase = (bi * u.Hkv + h / (u.Hq / u.Hkv)) * u.S * ${N}u;
  var q: array<${VT}, ${N}>;
  var acc: array<${VT}, ${N}>;
  for (var d = 0u; d < ${N}u; d++) { q[d] = Q[row * ${N}u + d] * u.scale; acc[d] = ${ZERO}; }
  var m = -f32_inf();
  var l = 0.0;
  for (var j = 0u; j < u.S; j++) {
    if (!visible(bi, t, j)) { continue; }
    let kb = kvBase + j * ${N}u;
    var s = 0.0;
    for (var d = 0u; d < ${N}u; d++) { s += vdot(q[d], K[kb + d]); }
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let pj = exp(s - mNew);
    l = l * corr + pj;
    for (var d = 0u; d < ${N}u; d++) { acc[d] = acc[d] * corr + pj * V[kb + d]; }
    m = mNew;
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < ${N}u; d++) { O[row * ${N}u + d] = acc[d] * inv; }
  LSE[row] = select(-f32_inf(), m + log(l), l > 0.0);
}`,
  };
});

const BR = 32; // query rows per workgroup
const PARTS = 4; // threads per query row, each owning D / 4 of its dims

/**
 * Rows per staged tile so that two staged tiles plus `partials` arrays of
 * per-thread partial dot products fit in 32 KiB of workgroup memory.
 */
function keyTile(D: number, partials: number): number {
  for (const bc of [16, 8, 4]) {
    // + 2: the tile-skip flag and its uniform copy
    const floats = 2 * bc * (D + PARTS) + partials * BR * PARTS * bc + 2 * bc + 2;
    if (floats * 4 <= 32768) return bc;
  }
  return 0;
}

/**
 * WGSL: the entry point of a tiled pass over blocks of 32 query rows (`blocks`
 * per head) and its indices: the block `qb`, head `h`, batch `bi`, this
 * thread's row `r` and `part` of it, the query `t` (`valid` when in range),
 * its `row` and the base of its head's keys, `kvBase`.
 */
function queryBlockMain(threads: number, blocks: number, D: number): string {
  return /* wgsl */ `@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = ${FLAT_WG};
  let qb = flat % ${blocks}u;
  let bh = flat / ${blocks}u;
  let h = bh % u.Hq;
  let bi = bh / u.Hq;
  let r = lid / ${PARTS}u;
  let part = lid % ${PARTS}u;
  let t = qb * ${BR}u + r;
  let valid = t < u.T;
  let row = bh * u.T + min(t, u.T - 1u);
  let kvBase = (bi * u.Hkv + h / (u.Hq / u.Hkv)) * u.S * ${D}u;`;
}

/** WGSL: one past the last key a query block `qb` can see (causal: its last query's position). */
function queryBlockKeyEnd(causal: boolean): string {
  return causal ? `u32(clamp(u.qOff + i32(min(u.T, (qb + 1u) * ${BR}u)), 0, i32(u.S)))` : 'u.S';
}

function tiledFits(D: number): boolean {
  return D % PARTS === 0 && D >= PARTS && keyTile(D, 2) > 0;
}

/**
 * Forward, tiled (flash-attention style): a workgroup owns 32 query rows of
 * one head, four threads per row each holding a quarter of q and of the
 * output accumulator. Tiles of keys and values are staged in workgroup memory
 * and shared by all 32 rows; each thread's partial dot products are summed
 * through workgroup memory, then every thread of the row runs the same online
 * softmax update. Tiles past the block's last visible key (causal) are skipped,
 * and with segment ids the tiles none of the block's rows sees (other segments
 * of a packed row). `blocks` (query blocks per head, ceil(T / 32)) is baked in.
 */
const TILED_FORWARD = shaderTemplate(
  'attention.tiledForward',
  ({ D, causal, seg, blocks }: MaskParams & { blocks: number }) => {
    const geometry = tileGeometry(D, 1);
    const { DP, BC, STRIDE, threads } = geometry;
    return {
      uniforms: UNIFORMS,
      code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
@group(0) @binding(5) var<storage, read_write> LSE: array<f32>;
${seg ? SEG_DECL(6) : ''}
${visibility(causal, seg)}
var<workgroup> Ks: array<f32, ${BC * STRIDE}>;
var<workgroup> Vs: array<f32, ${BC * STRIDE}>;
var<workgroup> Ps: array<f32, ${BR * PARTS * BC}>;
${seg ? TILE_FLAG_DECL : ''}
${queryBlockMain(threads, blocks, D)}
  var q: array<f32, ${DP}>;
  var acc: array<f32, ${DP}>;
  for (var d = 0u; d < ${DP}u; d++) { q[d] = Q[row * ${D}u + part * ${DP}u + d] * u.scale; acc[d] = 0.0; }
  var m = -f32_inf();
  var l = 0.0;
  let kEnd = ${queryBlockKeyEnd(causal)};
  let tiles = (kEnd + ${BC - 1}u) / ${BC}u;
  for (var kt = 0u; kt < tiles; kt++) {
    let j0 = kt * ${BC}u;
    ${seg ? skipUnseenTile(BR * BC, threads, `qb * ${BR}u + e / ${BC}u`, `j0 + e % ${BC}u`) : ''}
    ${staging(geometry, 'K', 'V', 'kvBase', 'u.S')}
    workgroupBarrier();
    for (var jj = 0u; jj < ${BC}u; jj++) {
      var ps = 0.0;
      let kb = jj * ${STRIDE}u + part * ${DP + 1}u;
      for (var d = 0u; d < ${DP}u; d++) { ps = fma(q[d], Ks[kb + d], ps); }
      Ps[(r * ${PARTS}u + part) * ${BC}u + jj] = ps;
    }
    workgroupBarrier();
    var s: array<f32, ${BC}>;
    var tileMax = -f32_inf();
    for (var jj = 0u; jj < ${BC}u; jj++) {
      var sc = 0.0;
      for (var pp = 0u; pp < ${PARTS}u; pp++) { sc += Ps[(r * ${PARTS}u + pp) * ${BC}u + jj]; }
      let j = j0 + jj;
      let seen = valid && j < u.S && visible(bi, t, j);
      s[jj] = select(-f32_inf(), sc, seen);
      tileMax = max(tileMax, s[jj]);
    }
    let mNew = max(m, tileMax);
    if (mNew > -f32_inf()) {
      let corr = exp(m - mNew);
      l = l * corr;
      for (var d = 0u; d < ${DP}u; d++) { acc[d] = acc[d] * corr; }
      for (var jj = 0u; jj < ${BC}u; jj++) {
        let pj = select(0.0, exp(s[jj] - mNew), s[jj] > -f32_inf());
        l += pj;
        let vb = jj * ${STRIDE}u + part * ${DP + 1}u;
        for (var d = 0u; d < ${DP}u; d++) { acc[d] = fma(pj, Vs[vb + d], acc[d]); }
      }
      m = mNew;
    }
    workgroupBarrier();
  }
  if (valid) {
    let inv = select(0.0, 1.0 / l, l > 0.0);
    for (var d = 0u; d < ${DP}u; d++) { O[row * ${D}u + part * ${DP}u + d] = acc[d] * inv; }
    if (part == 0u) { LSE[row] = select(-f32_inf(), m + log(l), l > 0.0); }
  }
}`,
    };
  },
);

function forward(b: WebgpuBackend, inputs: readonly TensorInfo[], attrs: AttentionAttrs): TensorInfo[] {
  const [q, k, v] = inputs;
  const p = plan('attention', q, k, v, inputs[3], attrs);
  const out = output(b, q.shape);
  const lse = output(b, [p.B, p.Hq, p.T]);
  if (p.B * p.Hq * p.T === 0) return [out, lse];
  const masks = { D: p.D, causal: attrs.causal, seg: p.seg !== undefined };
  const tiled = tiledFits(p.D);
  const blocks = Math.ceil(p.T / BR);
  const buffers = [
    buf(q, 'attention', 'q'),
    buf(k, 'attention', 'k'),
    buf(v, 'attention', 'v'),
    buf(out, 'attention'),
    buf(lse, 'attention'),
    ...(p.seg ? [buf(p.seg, 'attention', 'segmentIds')] : []),
  ];
  if (tiled) {
    b.dispatch({
      shader: TILED_FORWARD,
      params: { ...masks, blocks },
      uniforms: p.uniforms,
      buffers,
      workgroups: grid(p.B * p.Hq * blocks),
    });
  } else {
    b.dispatch({
      shader: FORWARD,
      params: masks,
      uniforms: p.uniforms,
      buffers,
      workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / WG)),
    });
  }
  return [out, lse];
}

/** Di = dO . O per query row (its own pass keeps each shader within 8 storage bindings). */
const ROW_DELTA = shaderTemplate('attentionGrad.delta', ({ D }: { D: number }) => {
  const { VT, N, VDOT } = vectorized(D);
  return {
    uniforms: UNIFORMS,
    code: /* wgsl */ `
  @group(0) @binding(1) var<storage, read> DO: array<${VT}>;
  @group(0) @binding(2) var<storage, read> O: array<${VT}>;
  @group(0) @binding(3) var<storage, read_write> DI: array<f32>;
  ${VDOT}
  @compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
    let row = ${FLAT_WG} * ${WG}u + lid;
    if (row >= u.rows) { return; }
    var di = 0.0;
    for (var d = 0u; d < ${N}u; d++) { di += vdot(DO[row * ${N}u + d], O[row * ${N}u + d]); }
    DI[row] = di;
  }`,
  };
});

/** WGSL shared by the two row-per-thread backward passes: their bindings (`out` written at 7), the masks and vdot. */
function rowGradCommon(D: number, out: 'DQ' | 'DKV', causal: boolean, seg: boolean): string {
  const { VT, VDOT } = vectorized(D);
  return /* wgsl */ `
  @group(0) @binding(1) var<storage, read> DO: array<${VT}>;
  @group(0) @binding(2) var<storage, read> Q: array<${VT}>;
  @group(0) @binding(3) var<storage, read> K: array<${VT}>;
  @group(0) @binding(4) var<storage, read> V: array<${VT}>;
  @group(0) @binding(5) var<storage, read> LSE: array<f32>;
  @group(0) @binding(6) var<storage, read> DI: array<f32>;
  @group(0) @binding(7) var<storage, read_write> ${out}: array<${VT}>;
  ${seg ? SEG_DECL(8) : ''}
  ${visibility(causal, seg)}
  ${VDOT}`;
}

/** dq per query row, recomputing the probabilities from lse. */
const QUERY_GRAD = shaderTemplate('attentionGrad.dq', ({ D, causal, seg }: MaskParams) => {
  const { VT, N, ZERO } = vectorized(D);
  return {
    uniforms: UNIFORMS,
    code: /* wgsl */ `${rowGradCommon(D, 'DQ', causal, seg)}
  @compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
    let row = ${FLAT_WG} * ${WG}u + lid;
    if (row >= u.rows) { return; }
    let t = row % u.T;
    let bh = row / u.T;
    let h = bh % u.Hq;
    let bi = bh / u.Hq;
    let kvBase = (bi * u.Hkv + h / (u.Hq / u.Hkv)) * u.S * ${N}u;
    var q: array<${VT}, ${N}>;
    var go: array<${VT}, ${N}>;
    var dq: array<${VT}, ${N}>;
    let di = DI[row];
    for (var d = 0u; d < ${N}u; d++) { q[d] = Q[row * ${N}u + d] * u.scale; go[d] = DO[row * ${N}u + d]; dq[d] = ${ZERO}; }
    let lse = LSE[row];
    if (lse > -f32_inf()) {
      for (var j = 0u; j < u.S; j++) {
        if (!visible(bi, t, j)) { continue; }
        let kb = kvBase + j * ${N}u;
        var s = 0.0; var dp = 0.0;
        for (var d = 0u; d < ${N}u; d++) { s += vdot(q[d], K[kb + d]); dp += vdot(go[d], V[kb + d]); }
        let ds = exp(s - lse) * (dp - di);
        for (var d = 0u; d < ${N}u; d++) { dq[d] = dq[d] + ds * K[kb + d]; }
      }
    }
    for (var d = 0u; d < ${N}u; d++) { DQ[row * ${N}u + d] = dq[d] * u.scale; }
  }`,
  };
});

/** dk and dv per key row, over the query heads of its group. */
const KEY_GRAD = shaderTemplate('attentionGrad.dkv', ({ D, causal, seg }: MaskParams) => {
  const { VT, N, ZERO } = vectorized(D);
  return {
    uniforms: UNIFORMS,
    code: /* wgsl */ `${rowGradCommon(D, 'DKV', causal, seg)}
  @compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
    let key = ${FLAT_WG} * ${WG}u + lid;
    if (key >= u.keys) { return; }
    let j = key % u.S;
    let bk = key / u.S;
    let hk = bk % u.Hkv;
    let bi = bk / u.Hkv;
    let group = u.Hq / u.Hkv;
    var kk: array<${VT}, ${N}>;
    var vv: array<${VT}, ${N}>;
    var dk: array<${VT}, ${N}>;
    var dv: array<${VT}, ${N}>;
    for (var d = 0u; d < ${N}u; d++) { kk[d] = K[key * ${N}u + d]; vv[d] = V[key * ${N}u + d]; dk[d] = ${ZERO}; dv[d] = ${ZERO}; }
    for (var g = 0u; g < group; g++) {
      let h = hk * group + g;
      for (var t = 0u; t < u.T; t++) {
        if (!visible(bi, t, j)) { continue; }
        let row = (bi * u.Hq + h) * u.T + t;
        let lse = LSE[row];
        if (lse == -f32_inf()) { continue; }
        let qb = row * ${N}u;
        var s = 0.0; var dp = 0.0;
        for (var d = 0u; d < ${N}u; d++) { s += vdot(Q[qb + d], kk[d]); dp += vdot(DO[qb + d], vv[d]); }
        let pr = exp(s * u.scale - lse);
        let ds = pr * (dp - DI[row]);
        for (var d = 0u; d < ${N}u; d++) { dv[d] = dv[d] + pr * DO[qb + d]; dk[d] = dk[d] + ds * Q[qb + d]; }
      }
    }
    for (var d = 0u; d < ${N}u; d++) { DKV[key * ${N}u + d] = dk[d] * u.scale; DKV[(u.keys + key) * ${N}u + d] = dv[d]; }
  }`,
  };
});

/**
 * Backward in two passes, recomputing probabilities from lse:
 * per query row: Di = dO.O, dq = scale * sum_j P (dO.v_j - Di) k_j;
 * per key row (over the query heads of its group): dv = sum P dO,
 * dk = scale * sum P (dO.v_j - Di) q.
 */
function backward(b: WebgpuBackend, inputs: readonly TensorInfo[], attrs: AttentionAttrs): TensorInfo[] {
  const [dOut, q, k, v, out, lse] = inputs;
  const p = plan('attentionGrad', q, k, v, inputs[6], attrs);
  if (!sameShape(dOut.shape, q.shape) || !sameShape(out.shape, q.shape)) {
    throw kernelError(
      'attentionGrad',
      `dOut ${fmt(dOut.shape)} and out ${fmt(out.shape)} must match q ${fmt(q.shape)}`,
    );
  }
  if (!sameShape(lse.shape, [p.B, p.Hq, p.T]))
    throw kernelError('attentionGrad', `lse ${fmt(lse.shape)} must be [${p.B}, ${p.Hq}, ${p.T}]`);
  // With no keys (S = 0) nothing is computed: dq must then be zeros; with no queries, dk and dv must.
  const dq = output(b, q.shape, 'float32', p.B * p.Hkv * p.S === 0);
  const dk = output(b, k.shape, 'float32', p.B * p.Hq * p.T === 0);
  const dv = output(b, v.shape, 'float32', p.B * p.Hq * p.T === 0);
  if (p.B * p.Hq * p.T === 0 || p.B * p.Hkv * p.S === 0) return [dq, dk, dv];
  const D = p.D;
  const rowsD = b.createStorage(p.B * p.Hq * p.T, 'float32');
  const dkv = b.createStorage(2 * p.B * p.Hkv * p.S * D, 'float32');
  const segBuf = p.seg ? [buf(p.seg, 'attentionGrad', 'segmentIds')] : [];
  const masks = { D, causal: attrs.causal, seg: p.seg !== undefined };
  if (tiledFits(D)) {
    tiledBackward(b, p, masks, { dOut, q, k, v, lse, dq }, rowsD.buffer, dkv.buffer, segBuf, out);
  } else {
    b.dispatch({
      shader: ROW_DELTA,
      params: { D },
      uniforms: p.uniforms,
      buffers: [buf(dOut, 'attentionGrad', 'dOut'), buf(out, 'attentionGrad', 'out'), rowsD.buffer],
      workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / WG)),
    });
    const inputsBound = [
      buf(dOut, 'attentionGrad', 'dOut'),
      buf(q, 'attentionGrad', 'q'),
      buf(k, 'attentionGrad', 'k'),
      buf(v, 'attentionGrad', 'v'),
      buf(lse, 'attentionGrad', 'lse'),
      rowsD.buffer,
    ];
    b.dispatch({
      shader: QUERY_GRAD,
      params: masks,
      uniforms: p.uniforms,
      buffers: [...inputsBound, buf(dq, 'attentionGrad'), ...segBuf],
      workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / WG)),
    });
    b.dispatch({
      shader: KEY_GRAD,
      params: masks,
      uniforms: p.uniforms,
      buffers: [...inputsBound, dkv.buffer, ...segBuf],
      workgroups: grid(Math.ceil((p.B * p.Hkv * p.S) / WG)),
    });
  }
  // dk and dv were written side by side in one buffer (again the 8-binding limit).
  const half = p.B * p.Hkv * p.S * D * 4;
  b.copyBuffer(dkv.buffer, buf(dk, 'attentionGrad'), half, 0, 0);
  b.copyBuffer(dkv.buffer, buf(dv, 'attentionGrad'), half, half, 0);
  b.release(rowsD);
  b.release(dkv);
  return [dq, dk, dv];
}

interface GradTensors {
  dOut: TensorInfo;
  q: TensorInfo;
  k: TensorInfo;
  v: TensorInfo;
  lse: TensorInfo;
  dq: TensorInfo;
}

/** The tile geometry of a tiled pass, from D and the arrays of partial dot products it keeps (forward 1, backward 2). */
interface TileGeometry {
  D: number;
  DP: number;
  BC: number;
  STRIDE: number;
  threads: number;
}

function tileGeometry(D: number, partials: number): TileGeometry {
  const DP = D / PARTS;
  // One padding float per part: the four parts of a key sit in different banks.
  return { D, DP, BC: keyTile(D, partials), STRIDE: PARTS * (DP + 1), threads: BR * PARTS };
}

/** WGSL: stage rows j0.. of A and B (row limit `rowLimit`, first row at `base`) into workgroup memory. */
function staging(
  { D, DP, BC, STRIDE, threads }: TileGeometry,
  A: string,
  B: string,
  base: string,
  rowLimit: string,
): string {
  return /* wgsl */ `
    for (var e = lid; e < ${BC * D}u; e += ${threads}u) {
      let jj = e / ${D}u;
      let dd = e % ${D}u;
      let at = jj * ${STRIDE}u + (dd / ${DP}u) * ${DP + 1}u + dd % ${DP}u;
      let inRange = j0 + jj < ${rowLimit};
      let src = ${base} + min(j0 + jj, ${rowLimit} - 1u) * ${D}u + dd;
      ${A}s[at] = select(0.0, ${A}[src], inRange);
      ${B}s[at] = select(0.0, ${B}[src], inRange);
    }`;
}

/** WGSL: each thread's partial dot products of its part of `a` and `bb` with the staged rows, into Pa and Pb. */
function partialsAndSum({ DP, BC, STRIDE }: TileGeometry, A: string, B: string, a: string, bb: string): string {
  return /* wgsl */ `
    for (var jj = 0u; jj < ${BC}u; jj++) {
      var pa = 0.0; var pb = 0.0;
      let at = jj * ${STRIDE}u + part * ${DP + 1}u;
      for (var d = 0u; d < ${DP}u; d++) { pa = fma(${a}[d], ${A}s[at + d], pa); pb = fma(${bb}[d], ${B}s[at + d], pb); }
      Pa[(r * ${PARTS}u + part) * ${BC}u + jj] = pa;
      Pb[(r * ${PARTS}u + part) * ${BC}u + jj] = pb;
    }
    workgroupBarrier();`;
}

/** WGSL shared by the two tiled backward passes: their common bindings, the masks, and the partial sums. */
function tiledCommon({ BC }: TileGeometry, causal: boolean, seg: boolean): string {
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> DO: array<f32>;
@group(0) @binding(2) var<storage, read> Q: array<f32>;
@group(0) @binding(3) var<storage, read> K: array<f32>;
@group(0) @binding(4) var<storage, read> V: array<f32>;
@group(0) @binding(5) var<storage, read> LSE: array<f32>;
@group(0) @binding(6) var<storage, read> DI: array<f32>;
${seg ? SEG_DECL(8) : ''}
${visibility(causal, seg)}
${seg ? TILE_FLAG_DECL : ''}
var<workgroup> Pa: array<f32, ${BR * PARTS * BC}>;
var<workgroup> Pb: array<f32, ${BR * PARTS * BC}>;
fn psum(P: ptr<workgroup, array<f32, ${BR * PARTS * BC}>>, r: u32, jj: u32) -> f32 {
  var acc = 0.0;
  for (var pp = 0u; pp < ${PARTS}u; pp++) { acc += (*P)[(r * ${PARTS}u + pp) * ${BC}u + jj]; }
  return acc;
}`;
}

/** Di = dO . O, one thread per row. */
const TILED_DELTA = shaderTemplate('attentionGrad.tiledDelta', ({ D }: { D: number }) => ({
  uniforms: UNIFORMS,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DO: array<f32>;
@group(0) @binding(2) var<storage, read> O: array<f32>;
@group(0) @binding(3) var<storage, read_write> DI: array<f32>;
@compute @workgroup_size(64) fn main(${FLAT_BUILTINS}) {
  let row = ${FLAT_WG} * 64u + lid;
  if (row >= u.rows) { return; }
  var di = 0.0;
  for (var d = 0u; d < ${D}u; d++) { di = fma(DO[row * ${D}u + d], O[row * ${D}u + d], di); }
  DI[row] = di;
}`,
}));

/** dq: per query block, over key tiles. `qBlocks` (ceil(T / 32)) is baked into the shader. */
const TILED_QUERY_GRAD = shaderTemplate(
  'attentionGrad.tiledDq',
  ({ D, causal, seg, qBlocks }: MaskParams & { qBlocks: number }) => {
    const geometry = tileGeometry(D, 2);
    const { DP, BC, STRIDE, threads } = geometry;
    const common = tiledCommon(geometry, causal, seg);
    return {
      uniforms: UNIFORMS,
      code: /* wgsl */ `${common}
@group(0) @binding(7) var<storage, read_write> DQ: array<f32>;
var<workgroup> Ks: array<f32, ${BC * STRIDE}>;
var<workgroup> Vs: array<f32, ${BC * STRIDE}>;
${queryBlockMain(threads, qBlocks, D)}
  var q: array<f32, ${DP}>;
  var go: array<f32, ${DP}>;
  var dq: array<f32, ${DP}>;
  for (var d = 0u; d < ${DP}u; d++) {
    q[d] = Q[row * ${D}u + part * ${DP}u + d] * u.scale;
    go[d] = DO[row * ${D}u + part * ${DP}u + d];
    dq[d] = 0.0;
  }
  let lse = LSE[row];
  let di = DI[row];
  let tiles = (${queryBlockKeyEnd(causal)} + ${BC - 1}u) / ${BC}u;
  for (var kt = 0u; kt < tiles; kt++) {
    let j0 = kt * ${BC}u;
    ${seg ? skipUnseenTile(BR * BC, threads, `qb * ${BR}u + e / ${BC}u`, `j0 + e % ${BC}u`) : ''}
    ${staging(geometry, 'K', 'V', 'kvBase', 'u.S')}
    workgroupBarrier();
    ${partialsAndSum(geometry, 'K', 'V', 'q', 'go')}
    for (var jj = 0u; jj < ${BC}u; jj++) {
      let j = j0 + jj;
      let seen = valid && j < u.S && lse > -f32_inf() && visible(bi, t, j);
      let pr = select(0.0, exp(psum(&Pa, r, jj) - lse), seen);
      let ds = pr * (psum(&Pb, r, jj) - di);
      let at = jj * ${STRIDE}u + part * ${DP + 1}u;
      for (var d = 0u; d < ${DP}u; d++) { dq[d] = fma(ds, Ks[at + d], dq[d]); }
    }
    workgroupBarrier();
  }
  if (valid) { for (var d = 0u; d < ${DP}u; d++) { DQ[row * ${D}u + part * ${DP}u + d] = dq[d] * u.scale; } }
}`,
    };
  },
);

/** dk, dv: per key block, over tiles of the group's query rows. `kBlocks` (ceil(S / 32)) is baked in. */
const TILED_KEY_GRAD = shaderTemplate(
  'attentionGrad.tiledDkv',
  ({ D, causal, seg, kBlocks }: MaskParams & { kBlocks: number }) => {
    const geometry = tileGeometry(D, 2);
    const { DP, BC, STRIDE, threads } = geometry;
    const common = tiledCommon(geometry, causal, seg);
    const queryStart = causal ? `u32(max(i32(kb * ${BR}u) - u.qOff, 0)) / ${BC}u * ${BC}u` : '0u';
    return {
      uniforms: UNIFORMS,
      code: /* wgsl */ `${common}
@group(0) @binding(7) var<storage, read_write> DKV: array<f32>;
var<workgroup> Qs: array<f32, ${BC * STRIDE}>;
var<workgroup> DOs: array<f32, ${BC * STRIDE}>;
var<workgroup> Ls: array<f32, ${BC}>;
var<workgroup> Ds: array<f32, ${BC}>;
@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = ${FLAT_WG};
  let kb = flat % ${kBlocks}u;
  let bk = flat / ${kBlocks}u;
  let hk = bk % u.Hkv;
  let bi = bk / u.Hkv;
  let r = lid / ${PARTS}u;
  let part = lid % ${PARTS}u;
  let j = kb * ${BR}u + r;
  let validKey = j < u.S;
  let key = bk * u.S + min(j, u.S - 1u);
  var kk: array<f32, ${DP}>;
  var vv: array<f32, ${DP}>;
  var dk: array<f32, ${DP}>;
  var dv: array<f32, ${DP}>;
  for (var d = 0u; d < ${DP}u; d++) {
    kk[d] = K[key * ${D}u + part * ${DP}u + d];
    vv[d] = V[key * ${D}u + part * ${DP}u + d];
    dk[d] = 0.0;
    dv[d] = 0.0;
  }
  let group = u.Hq / u.Hkv;
  let tStart = ${queryStart};
  for (var gi = 0u; gi < group; gi++) {
    let rowBase = (bi * u.Hq + hk * group + gi) * u.T;
    for (var j0 = tStart; j0 < u.T; j0 += ${BC}u) {
      ${seg ? skipUnseenTile(BR * BC, threads, `j0 + e % ${BC}u`, `kb * ${BR}u + e / ${BC}u`) : ''}
      ${staging(geometry, 'Q', 'DO', `rowBase * ${D}u`, 'u.T')}
      if (lid < ${BC}u) {
        let tt = min(j0 + lid, u.T - 1u);
        Ls[lid] = select(-f32_inf(), LSE[rowBase + tt], j0 + lid < u.T);
        Ds[lid] = DI[rowBase + tt];
      }
      workgroupBarrier();
      ${partialsAndSum(geometry, 'Q', 'DO', 'kk', 'vv')}
      for (var jj = 0u; jj < ${BC}u; jj++) {
        let t = j0 + jj;
        let lse = Ls[jj];
        let seen = validKey && t < u.T && lse > -f32_inf() && visible(bi, t, j);
        let pr = select(0.0, exp(psum(&Pa, r, jj) * u.scale - lse), seen);
        let ds = pr * (psum(&Pb, r, jj) - Ds[jj]);
        let at = jj * ${STRIDE}u + part * ${DP + 1}u;
        for (var d = 0u; d < ${DP}u; d++) { dv[d] = fma(pr, DOs[at + d], dv[d]); dk[d] = fma(ds, Qs[at + d], dk[d]); }
      }
      workgroupBarrier();
    }
  }
  if (validKey) {
    for (var d = 0u; d < ${DP}u; d++) {
      DKV[key * ${D}u + part * ${DP}u + d] = dk[d] * u.scale;
      DKV[(u.keys + key) * ${D}u + part * ${DP}u + d] = dv[d];
    }
  }
}`,
    };
  },
);

/**
 * Backward, tiled like the forward (four threads per row, staged tiles in
 * workgroup memory, partial dot products summed through it):
 * Di = dO . O; a query-block pass for dq over key tiles; a key-block pass
 * for dk and dv over tiles of the group's query rows (causal: only the
 * queries that can see the block).
 */
function tiledBackward(
  b: WebgpuBackend,
  p: AttentionPlan,
  masks: MaskParams,
  g: GradTensors,
  diBuffer: GPUBuffer,
  dkvBuffer: GPUBuffer,
  segBuf: GPUBuffer[],
  out: TensorInfo,
): void {
  const name = 'attentionGrad';
  b.dispatch({
    shader: TILED_DELTA,
    params: { D: masks.D },
    uniforms: p.uniforms,
    buffers: [buf(g.dOut, name, 'dOut'), buf(out, name, 'out'), diBuffer],
    workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / 64)),
  });
  const bound = [
    buf(g.dOut, name, 'dOut'),
    buf(g.q, name, 'q'),
    buf(g.k, name, 'k'),
    buf(g.v, name, 'v'),
    buf(g.lse, name, 'lse'),
    diBuffer,
  ];
  const qBlocks = Math.ceil(p.T / BR);
  b.dispatch({
    shader: TILED_QUERY_GRAD,
    params: { ...masks, qBlocks },
    uniforms: p.uniforms,
    buffers: [...bound, buf(g.dq, name), ...segBuf],
    workgroups: grid(p.B * p.Hq * qBlocks),
  });
  const kBlocks = Math.ceil(p.S / BR);
  b.dispatch({
    shader: TILED_KEY_GRAD,
    params: { ...masks, kBlocks },
    uniforms: p.uniforms,
    buffers: [...bound, dkvBuffer, ...segBuf],
    workgroups: grid(p.B * p.Hkv * kBlocks),
  });
}

const attentionKernel = implement(attention, 'webgpu', ({ inputs, attrs, backend }) =>
  forward(gpu(backend), inputs, attrs),
);
const attentionGradKernel = implement(attentionGrad, 'webgpu', ({ inputs, attrs, backend }) =>
  backward(gpu(backend), inputs, attrs),
);

/** The webgpu implementations of this folder's kernels. */
export const implementations = [attentionKernel, attentionGradKernel];

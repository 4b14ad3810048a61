import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { AttentionAttrs } from '../../kernel-math/attention.js';
import type { WebgpuBackend } from '../backend.js';
import { FLAT_BUILTINS, FLAT_WG, grid, type Params } from '../program.js';
import type { WebgpuStorage } from '../storage.js';
import { buf, gpu, output, requireFloat32, requireInputs, requireInt32 } from './util.js';

/**
 * Threads per workgroup. Each thread carries a whole query (or key) row, so a
 * launch has only B*H*T threads: small workgroups spread them over every
 * multiprocessor (256 would leave most of an H100 idle at T = 1024).
 */
const WG = 64;

interface AttentionPlan {
  B: number;
  Hq: number;
  Hkv: number;
  T: number;
  S: number;
  D: number;
  params: Params;
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
  ] as const) {
    requireFloat32(t, name, w);
    if (t.shape.length !== 4)
      throw new Error(`kernel '${name}': ${w} must be rank 4 [B, H, T, D], got [${t.shape.join(', ')}]`);
  }
  const [B, Hq, T, D] = q.shape as [number, number, number, number];
  const [Bk, Hkv, S, Dk] = k.shape as [number, number, number, number];
  if (Bk !== B || Dk !== D || v.shape.join() !== k.shape.join()) {
    throw new Error(
      `kernel '${name}': q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], v [${v.shape.join(', ')}] do not match`,
    );
  }
  if (Hkv === 0 || Hq % Hkv !== 0) throw new Error(`kernel '${name}': Hq=${Hq} is not a multiple of Hkv=${Hkv}`);
  if (seg) {
    requireInt32(seg, name, 'segmentIds');
    if (seg.shape.length !== 2 || seg.shape[0] !== B || seg.shape[1] !== S) {
      throw new Error(`kernel '${name}': segmentIds [${seg.shape.join(', ')}] must be [${B}, ${S}]`);
    }
  }
  const qOff = attrs.queryOffset ?? S - T;
  const params: Params = {
    rows: ['u32', B * Hq * T],
    keys: ['u32', B * Hkv * S],
    Hq: ['u32', Hq],
    Hkv: ['u32', Hkv],
    T: ['u32', T],
    S: ['u32', S],
    qOff: ['i32', qOff],
    scale: ['f32', attrs.scale],
  };
  return { B, Hq, Hkv, T, S, D, params, seg };
}

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

/**
 * Forward: one thread per query row, online softmax over the keys with the
 * row's q and output accumulator in registers (D is baked into the shader).
 * A row that sees no key gets out = 0 and lse = -inf.
 */
function forward(b: WebgpuBackend, inputs: readonly TensorInfo[], attrs: AttentionAttrs): TensorInfo[] {
  requireInputs(inputs, 3, 'attention');
  const [q, k, v] = [inputs[0]!, inputs[1]!, inputs[2]!];
  const p = plan('attention', q, k, v, inputs[3], attrs);
  const out = output(b, q.shape);
  const lse = output(b, [p.B, p.Hq, p.T]);
  if (p.B * p.Hq * p.T === 0) return [out, lse];
  const D = p.D;
  if (tiledFits(D)) {
    tiledForward(b, p, q, k, v, out, lse, attrs);
    return [out, lse];
  }
  const { VT, N, ZERO, VDOT } = vectorized(D);
  const segDecl = p.seg ? '@group(0) @binding(6) var<storage, read> SEG: array<i32>;' : '';
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> Q: array<${VT}>;
@group(0) @binding(2) var<storage, read> K: array<${VT}>;
@group(0) @binding(3) var<storage, read> V: array<${VT}>;
@group(0) @binding(4) var<storage, read_write> O: array<${VT}>;
@group(0) @binding(5) var<storage, read_write> LSE: array<f32>;
${segDecl}
${visibility(attrs.causal, !!p.seg)}
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
}`;
  b.dispatch({
    name: 'attention',
    code,
    params: p.params,
    buffers: [
      buf(q, 'attention', 'q'),
      buf(k, 'attention', 'k'),
      buf(v, 'attention', 'v'),
      buf(out, 'attention'),
      buf(lse, 'attention'),
      ...(p.seg ? [buf(p.seg, 'attention', 'segmentIds')] : []),
    ],
    workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / WG)),
  });
  return [out, lse];
}

const BR = 32; // query rows per workgroup
const PARTS = 4; // threads per query row, each owning D / 4 of its dims

/**
 * Rows per staged tile so that two staged tiles plus `partials` arrays of
 * per-thread partial dot products fit in 32 KiB of workgroup memory.
 */
function keyTile(D: number, partials = 1): number {
  for (const bc of [16, 8, 4]) {
    const floats = 2 * bc * (D + PARTS) + partials * BR * PARTS * bc + 2 * bc;
    if (floats * 4 <= 32768) return bc;
  }
  return 0;
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
 * softmax update. Tiles past the block's last visible key (causal) are skipped.
 */
function tiledForward(
  b: WebgpuBackend,
  p: AttentionPlan,
  q: TensorInfo,
  k: TensorInfo,
  v: TensorInfo,
  out: TensorInfo,
  lse: TensorInfo,
  attrs: AttentionAttrs,
): void {
  const D = p.D;
  const DP = D / PARTS;
  const BC = keyTile(D);
  const STRIDE = PARTS * (DP + 1); // one padding float per part: the four parts of a key sit in different banks
  const blocks = Math.ceil(p.T / BR);
  const threads = BR * PARTS;
  const segDecl = p.seg ? '@group(0) @binding(6) var<storage, read> SEG: array<i32>;' : '';
  const keyEnd = attrs.causal ? 'u32(clamp(u.qOff + i32(min(u.T, (qb + 1u) * ' + BR + 'u)), 0, i32(u.S)))' : 'u.S';
  const code = /* wgsl */ `
@group(0) @binding(1) var<storage, read> Q: array<f32>;
@group(0) @binding(2) var<storage, read> K: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
@group(0) @binding(5) var<storage, read_write> LSE: array<f32>;
${segDecl}
${visibility(attrs.causal, !!p.seg)}
var<workgroup> Ks: array<f32, ${BC * STRIDE}>;
var<workgroup> Vs: array<f32, ${BC * STRIDE}>;
var<workgroup> Ps: array<f32, ${BR * PARTS * BC}>;
@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
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
  let kvBase = (bi * u.Hkv + h / (u.Hq / u.Hkv)) * u.S * ${D}u;
  var q: array<f32, ${DP}>;
  var acc: array<f32, ${DP}>;
  for (var d = 0u; d < ${DP}u; d++) { q[d] = Q[row * ${D}u + part * ${DP}u + d] * u.scale; acc[d] = 0.0; }
  var m = -f32_inf();
  var l = 0.0;
  let kEnd = ${keyEnd};
  let tiles = (kEnd + ${BC - 1}u) / ${BC}u;
  for (var kt = 0u; kt < tiles; kt++) {
    let j0 = kt * ${BC}u;
    for (var e = lid; e < ${BC * D}u; e += ${threads}u) {
      let jj = e / ${D}u;
      let dd = e % ${D}u;
      let at = jj * ${STRIDE}u + (dd / ${DP}u) * ${DP + 1}u + dd % ${DP}u;
      let j = j0 + jj;
      let inKeys = j < u.S;
      let src = kvBase + min(j, u.S - 1u) * ${D}u + dd;
      Ks[at] = select(0.0, K[src], inKeys);
      Vs[at] = select(0.0, V[src], inKeys);
    }
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
}`;
  b.dispatch({
    name: 'attention',
    code,
    params: p.params,
    buffers: [
      buf(q, 'attention', 'q'),
      buf(k, 'attention', 'k'),
      buf(v, 'attention', 'v'),
      buf(out, 'attention'),
      buf(lse, 'attention'),
      ...(p.seg ? [buf(p.seg, 'attention', 'segmentIds')] : []),
    ],
    workgroups: grid(p.B * p.Hq * blocks),
  });
}

/**
 * Backward in two passes, recomputing probabilities from lse:
 * per query row: Di = dO.O, dq = scale * sum_j P (dO.v_j - Di) k_j;
 * per key row (over the query heads of its group): dv = sum P dO,
 * dk = scale * sum P (dO.v_j - Di) q.
 */
function backward(b: WebgpuBackend, inputs: readonly TensorInfo[], attrs: AttentionAttrs): TensorInfo[] {
  requireInputs(inputs, 6, 'attentionGrad');
  const [dOut, q, k, v, out, lse] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const p = plan('attentionGrad', q, k, v, inputs[6], attrs);
  for (const [t, w] of [
    [dOut, 'dOut'],
    [out, 'out'],
  ] as const) {
    if (t.shape.join() !== q.shape.join())
      throw new Error(`kernel 'attentionGrad': ${w} [${t.shape.join(', ')}] must match q [${q.shape.join(', ')}]`);
  }
  const dq = output(b, q.shape);
  const dk = output(b, k.shape, 'float32', p.B * p.Hq * p.T === 0);
  const dv = output(b, v.shape, 'float32', p.B * p.Hq * p.T === 0);
  if (p.B * p.Hq * p.T === 0 || p.B * p.Hkv * p.S === 0) return [dq, dk, dv];
  const D = p.D;
  const { VT, N, ZERO, VDOT } = vectorized(D);
  const rowsD = b.createStorage(p.B * p.Hq * p.T, 'float32');
  const dkv = b.createStorage(2 * p.B * p.Hkv * p.S * D, 'float32');
  const segDecl = (binding: number) =>
    p.seg ? `@group(0) @binding(${binding}) var<storage, read> SEG: array<i32>;` : '';
  const segBuf = p.seg ? [buf(p.seg, 'attentionGrad', 'segmentIds')] : [];
  if (tiledFits(D)) {
    tiledBackward(b, p, attrs, { dOut, q, k, v, lse, dq }, rowsD.buffer, dkv.buffer, segBuf, out);
  } else {
    // Di = dO . O per query row (its own pass keeps each shader within 8 storage bindings).
    b.dispatch({
      name: 'attentionGrad',
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
      params: p.params,
      buffers: [buf(dOut, 'attentionGrad', 'dOut'), buf(out, 'attentionGrad', 'out'), rowsD.buffer],
      workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / WG)),
    });
    b.dispatch({
      name: 'attentionGrad',
      code: /* wgsl */ `
  @group(0) @binding(1) var<storage, read> DO: array<${VT}>;
  @group(0) @binding(2) var<storage, read> Q: array<${VT}>;
  @group(0) @binding(3) var<storage, read> K: array<${VT}>;
  @group(0) @binding(4) var<storage, read> V: array<${VT}>;
  @group(0) @binding(5) var<storage, read> LSE: array<f32>;
  @group(0) @binding(6) var<storage, read> DI: array<f32>;
  @group(0) @binding(7) var<storage, read_write> DQ: array<${VT}>;
  ${segDecl(8)}
  ${visibility(attrs.causal, !!p.seg)}
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
      params: p.params,
      buffers: [
        buf(dOut, 'attentionGrad', 'dOut'),
        buf(q, 'attentionGrad', 'q'),
        buf(k, 'attentionGrad', 'k'),
        buf(v, 'attentionGrad', 'v'),
        buf(lse, 'attentionGrad', 'lse'),
        rowsD.buffer,
        buf(dq, 'attentionGrad'),
        ...segBuf,
      ],
      workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / WG)),
    });
    b.dispatch({
      name: 'attentionGrad',
      code: /* wgsl */ `
  @group(0) @binding(1) var<storage, read> DO: array<${VT}>;
  @group(0) @binding(2) var<storage, read> Q: array<${VT}>;
  @group(0) @binding(3) var<storage, read> K: array<${VT}>;
  @group(0) @binding(4) var<storage, read> V: array<${VT}>;
  @group(0) @binding(5) var<storage, read> LSE: array<f32>;
  @group(0) @binding(6) var<storage, read> DI: array<f32>;
  @group(0) @binding(7) var<storage, read_write> DKV: array<${VT}>;
  ${segDecl(8)}
  ${visibility(attrs.causal, !!p.seg)}
  ${VDOT}
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
      params: p.params,
      buffers: [
        buf(dOut, 'attentionGrad', 'dOut'),
        buf(q, 'attentionGrad', 'q'),
        buf(k, 'attentionGrad', 'k'),
        buf(v, 'attentionGrad', 'v'),
        buf(lse, 'attentionGrad', 'lse'),
        rowsD.buffer,
        dkv.buffer,
        ...segBuf,
      ],
      workgroups: grid(Math.ceil((p.B * p.Hkv * p.S) / WG)),
    });
  }
  // dk and dv were written side by side in one buffer (again the 8-binding limit).
  const half = p.B * p.Hkv * p.S * D * 4;
  b.copyBuffer(dkv.buffer, buf(dk, 'attentionGrad'), half, 0, 0);
  b.copyBuffer(dkv.buffer, buf(dv, 'attentionGrad'), half, half, 0);
  b.release(rowsD as WebgpuStorage);
  b.release(dkv as WebgpuStorage);
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
  attrs: AttentionAttrs,
  g: GradTensors,
  diBuffer: GPUBuffer,
  dkvBuffer: GPUBuffer,
  segBuf: GPUBuffer[],
  out: TensorInfo,
): void {
  const D = p.D;
  const DP = D / PARTS;
  const BC = keyTile(D, 2);
  const STRIDE = PARTS * (DP + 1);
  const threads = BR * PARTS;
  const segDecl = p.seg ? '@group(0) @binding(8) var<storage, read> SEG: array<i32>;' : '';
  const name = 'attentionGrad';
  // Di = dO . O
  b.dispatch({
    name,
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
    params: p.params,
    buffers: [buf(g.dOut, name, 'dOut'), buf(out, name, 'out'), diBuffer],
    workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / 64)),
  });
  const staging = (A: string, B: string, base: string, rowLimit: string) => /* wgsl */ `
    for (var e = lid; e < ${BC * D}u; e += ${threads}u) {
      let jj = e / ${D}u;
      let dd = e % ${D}u;
      let at = jj * ${STRIDE}u + (dd / ${DP}u) * ${DP + 1}u + dd % ${DP}u;
      let inRange = j0 + jj < ${rowLimit};
      let src = ${base} + min(j0 + jj, ${rowLimit} - 1u) * ${D}u + dd;
      ${A}s[at] = select(0.0, ${A}[src], inRange);
      ${B}s[at] = select(0.0, ${B}[src], inRange);
    }`;
  const partialsAndSum = (A: string, B: string, a: string, bb: string) => /* wgsl */ `
    for (var jj = 0u; jj < ${BC}u; jj++) {
      var pa = 0.0; var pb = 0.0;
      let at = jj * ${STRIDE}u + part * ${DP + 1}u;
      for (var d = 0u; d < ${DP}u; d++) { pa = fma(${a}[d], ${A}s[at + d], pa); pb = fma(${bb}[d], ${B}s[at + d], pb); }
      Pa[(r * ${PARTS}u + part) * ${BC}u + jj] = pa;
      Pb[(r * ${PARTS}u + part) * ${BC}u + jj] = pb;
    }
    workgroupBarrier();`;
  const common = /* wgsl */ `
@group(0) @binding(1) var<storage, read> DO: array<f32>;
@group(0) @binding(2) var<storage, read> Q: array<f32>;
@group(0) @binding(3) var<storage, read> K: array<f32>;
@group(0) @binding(4) var<storage, read> V: array<f32>;
@group(0) @binding(5) var<storage, read> LSE: array<f32>;
@group(0) @binding(6) var<storage, read> DI: array<f32>;
${segDecl}
${visibility(attrs.causal, !!p.seg)}
var<workgroup> Pa: array<f32, ${BR * PARTS * BC}>;
var<workgroup> Pb: array<f32, ${BR * PARTS * BC}>;
fn psum(P: ptr<workgroup, array<f32, ${BR * PARTS * BC}>>, r: u32, jj: u32) -> f32 {
  var acc = 0.0;
  for (var pp = 0u; pp < ${PARTS}u; pp++) { acc += (*P)[(r * ${PARTS}u + pp) * ${BC}u + jj]; }
  return acc;
}`;
  // dq: per query block, over key tiles
  const qBlocks = Math.ceil(p.T / BR);
  const keyEnd = attrs.causal ? `u32(clamp(u.qOff + i32(min(u.T, (qb + 1u) * ${BR}u)), 0, i32(u.S)))` : 'u.S';
  b.dispatch({
    name,
    code: /* wgsl */ `${common}
@group(0) @binding(7) var<storage, read_write> DQ: array<f32>;
var<workgroup> Ks: array<f32, ${BC * STRIDE}>;
var<workgroup> Vs: array<f32, ${BC * STRIDE}>;
@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let flat = ${FLAT_WG};
  let qb = flat % ${qBlocks}u;
  let bh = flat / ${qBlocks}u;
  let h = bh % u.Hq;
  let bi = bh / u.Hq;
  let r = lid / ${PARTS}u;
  let part = lid % ${PARTS}u;
  let t = qb * ${BR}u + r;
  let valid = t < u.T;
  let row = bh * u.T + min(t, u.T - 1u);
  let kvBase = (bi * u.Hkv + h / (u.Hq / u.Hkv)) * u.S * ${D}u;
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
  let tiles = (${keyEnd} + ${BC - 1}u) / ${BC}u;
  for (var kt = 0u; kt < tiles; kt++) {
    let j0 = kt * ${BC}u;
    ${staging('K', 'V', 'kvBase', 'u.S')}
    workgroupBarrier();
    ${partialsAndSum('K', 'V', 'q', 'go')}
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
    params: p.params,
    buffers: [
      buf(g.dOut, name, 'dOut'),
      buf(g.q, name, 'q'),
      buf(g.k, name, 'k'),
      buf(g.v, name, 'v'),
      buf(g.lse, name, 'lse'),
      diBuffer,
      buf(g.dq, name),
      ...segBuf,
    ],
    workgroups: grid(p.B * p.Hq * qBlocks),
  });
  // dk, dv: per key block, over tiles of the group's query rows
  const kBlocks = Math.ceil(p.S / BR);
  const queryStart = attrs.causal ? `u32(max(i32(kb * ${BR}u) - u.qOff, 0)) / ${BC}u * ${BC}u` : '0u';
  b.dispatch({
    name,
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
      ${staging('Q', 'DO', `rowBase * ${D}u`, 'u.T')}
      if (lid < ${BC}u) {
        let tt = min(j0 + lid, u.T - 1u);
        Ls[lid] = select(-f32_inf(), LSE[rowBase + tt], j0 + lid < u.T);
        Ds[lid] = DI[rowBase + tt];
      }
      workgroupBarrier();
      ${partialsAndSum('Q', 'DO', 'kk', 'vv')}
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
    params: p.params,
    buffers: [
      buf(g.dOut, name, 'dOut'),
      buf(g.q, name, 'q'),
      buf(g.k, name, 'k'),
      buf(g.v, name, 'v'),
      buf(g.lse, name, 'lse'),
      diBuffer,
      dkvBuffer,
      ...segBuf,
    ],
    workgroups: grid(p.B * p.Hkv * kBlocks),
  });
}

export const attention: KernelFunc<AttentionAttrs> = ({ inputs, attrs, backend }) =>
  forward(gpu(backend), inputs, attrs);
export const attentionGrad: KernelFunc<AttentionAttrs> = ({ inputs, attrs, backend }) =>
  backward(gpu(backend), inputs, attrs);

import type { KernelFunc, TensorInfo } from '../../backend.js';
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

export interface AttentionAttrs {
  scale: number;
  causal: boolean;
  queryOffset?: number;
  [k: string]: unknown;
}

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

function plan(name: string, q: TensorInfo, k: TensorInfo, v: TensorInfo, seg: TensorInfo | undefined, attrs: AttentionAttrs): AttentionPlan {
  for (const [t, w] of [[q, 'q'], [k, 'k'], [v, 'v']] as const) {
    requireFloat32(t, name, w);
    if (t.shape.length !== 4) throw new Error(`kernel '${name}': ${w} must be rank 4 [B, H, T, D], got [${t.shape.join(', ')}]`);
  }
  const [B, Hq, T, D] = q.shape as [number, number, number, number];
  const [Bk, Hkv, S, Dk] = k.shape as [number, number, number, number];
  if (Bk !== B || Dk !== D || v.shape.join() !== k.shape.join()) {
    throw new Error(`kernel '${name}': q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], v [${v.shape.join(', ')}] do not match`);
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
      buf(q, 'attention', 'q'), buf(k, 'attention', 'k'), buf(v, 'attention', 'v'),
      buf(out, 'attention'), buf(lse, 'attention'),
      ...(p.seg ? [buf(p.seg, 'attention', 'segmentIds')] : []),
    ],
    workgroups: grid(Math.ceil((p.B * p.Hq * p.T) / WG)),
  });
  return [out, lse];
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
  for (const [t, w] of [[dOut, 'dOut'], [out, 'out']] as const) {
    if (t.shape.join() !== q.shape.join()) throw new Error(`kernel 'attentionGrad': ${w} [${t.shape.join(', ')}] must match q [${q.shape.join(', ')}]`);
  }
  const dq = output(b, q.shape);
  const dk = output(b, k.shape, 'float32', p.B * p.Hq * p.T === 0);
  const dv = output(b, v.shape, 'float32', p.B * p.Hq * p.T === 0);
  if (p.B * p.Hq * p.T === 0 || p.B * p.Hkv * p.S === 0) return [dq, dk, dv];
  const D = p.D;
  const { VT, N, ZERO, VDOT } = vectorized(D);
  const rowsD = b.createStorage(p.B * p.Hq * p.T, 'float32');
  const dkv = b.createStorage(2 * p.B * p.Hkv * p.S * D, 'float32');
  const segDecl = (binding: number) => (p.seg ? `@group(0) @binding(${binding}) var<storage, read> SEG: array<i32>;` : '');
  const segBuf = p.seg ? [buf(p.seg, 'attentionGrad', 'segmentIds')] : [];
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
      buf(dOut, 'attentionGrad', 'dOut'), buf(q, 'attentionGrad', 'q'), buf(k, 'attentionGrad', 'k'), buf(v, 'attentionGrad', 'v'),
      buf(lse, 'attentionGrad', 'lse'), rowsD.buffer, buf(dq, 'attentionGrad'), ...segBuf,
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
      buf(dOut, 'attentionGrad', 'dOut'), buf(q, 'attentionGrad', 'q'), buf(k, 'attentionGrad', 'k'), buf(v, 'attentionGrad', 'v'),
      buf(lse, 'attentionGrad', 'lse'), rowsD.buffer, dkv.buffer, ...segBuf,
    ],
    workgroups: grid(Math.ceil((p.B * p.Hkv * p.S) / WG)),
  });
  // dk and dv were written side by side in one buffer (again the 8-binding limit).
  const half = p.B * p.Hkv * p.S * D * 4;
  b.copyBuffer(dkv.buffer, buf(dk, 'attentionGrad'), half, 0, 0);
  b.copyBuffer(dkv.buffer, buf(dv, 'attentionGrad'), half, half, 0);
  b.release(rowsD as WebgpuStorage);
  b.release(dkv as WebgpuStorage);
  return [dq, dk, dv];
}

export const attention: KernelFunc<AttentionAttrs> = ({ inputs, attrs, backend }) => forward(gpu(backend), inputs, attrs);
export const attentionGrad: KernelFunc<AttentionAttrs> = ({ inputs, attrs, backend }) => backward(gpu(backend), inputs, attrs);

import { implement } from '../../registry.js';
import { assertDType, assertInputCount } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { operandDecl, operandEnables, operandFormat, type OperandFormat } from '../../webgpu/operand.js';
import { FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { workgroupReductions } from '../../webgpu/workgroup-reduce.js';
import { ROPE_COS_SIN_WGSL } from '../rope/webgpu.js';
import { rmsNormRope, rmsNormRopeGrad } from './contract.js';
import { rmsNormRopeDims } from './math.js';

const ROW_WG = 64;
const RED = workgroupReductions(ROW_WG, ['sum']);

const UNIFORMS = [
  ['T', 'u32'],
  ['H', 'u32'],
  ['half', 'u32'],
  ['eps', 'f32'],
  ['log2theta', 'f32'],
] as const;

/** The indices of a row (b, t, h) of x: its flat id in [B, T, H] order, from the grid's workgroup id. */
const ROW_INDICES = /* wgsl */ `
  let row = ${FLAT_WG};
  let hi = row % u.H;
  let bt = row / u.H;
  let ti = bt % u.T;
  let bi = bt / u.T;
  let D = 2u * u.half;
  let src = row * D;
  let dst = ((bi * u.H + hi) * u.T + ti) * D;`;

/** One workgroup per head vector: its sum of squares, then each pair normalised, scaled and rotated. */
const RMS_NORM_ROPE = shaderTemplate('rmsNormRope', ({ w }: { w: OperandFormat }) => ({
  enable: operandEnables(w),
  uniforms: UNIFORMS,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
${operandDecl('W', 2, w, false)}
@group(0) @binding(3) var<storage, read> P: array<i32>;
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;
${RED}
${ROPE_COS_SIN_WGSL}
@compute @workgroup_size(${ROW_WG}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${ROW_INDICES}
  var ss = 0.0;
  for (var j = lid; j < D; j += ${ROW_WG}u) { let v = X[src + j]; ss += v * v; }
  ss = wg_sum(ss, lid);
  let r = inverseSqrt(ss / f32(D) + u.eps);
  let pos = P[bi * u.T + ti];
  for (var i = lid; i < u.half; i += ${ROW_WG}u) {
    let cs = rope_cos_sin(pos, i, u.half, u.log2theta);
    let x1 = X[src + i] * r * ldW(i);
    let x2 = X[src + i + u.half] * r * ldW(i + u.half);
    Y[dst + i] = x1 * cs.x - x2 * cs.y;
    Y[dst + i + u.half] = x2 * cs.x + x1 * cs.y;
  }
}`,
}));

/**
 * Per head vector: g = dy rotated back, stored in x's layout for the weight's
 * gradient; the sums of x^2 and g w x; then dx and the row's r.
 */
const RMS_NORM_ROPE_DX = shaderTemplate('rmsNormRopeGrad.dx', ({ w }: { w: OperandFormat }) => ({
  enable: operandEnables(w),
  uniforms: UNIFORMS,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
${operandDecl('W', 3, w, false)}
@group(0) @binding(4) var<storage, read> P: array<i32>;
@group(0) @binding(5) var<storage, read_write> DX: array<f32>;
@group(0) @binding(6) var<storage, read_write> G: array<f32>;
@group(0) @binding(7) var<storage, read_write> RSTD: array<f32>;
${RED}
${ROPE_COS_SIN_WGSL}
@compute @workgroup_size(${ROW_WG}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${ROW_INDICES}
  let pos = P[bi * u.T + ti];
  var ss = 0.0;
  var dot = 0.0;
  for (var i = lid; i < u.half; i += ${ROW_WG}u) {
    let cs = rope_cos_sin(pos, i, u.half, u.log2theta);
    let y1 = DY[dst + i];
    let y2 = DY[dst + i + u.half];
    let g1 = y1 * cs.x + y2 * cs.y;
    let g2 = y2 * cs.x - y1 * cs.y;
    G[src + i] = g1;
    G[src + i + u.half] = g2;
    let x1 = X[src + i];
    let x2 = X[src + i + u.half];
    ss += x1 * x1 + x2 * x2;
    dot += g1 * ldW(i) * x1 + g2 * ldW(i + u.half) * x2;
  }
  ss = wg_sum(ss, lid);
  dot = wg_sum(dot, lid);
  let r = inverseSqrt(ss / f32(D) + u.eps);
  let c = r * r * r * dot / f32(D);
  for (var j = lid; j < D; j += ${ROW_WG}u) { DX[src + j] = r * G[src + j] * ldW(j) - X[src + j] * c; }
  if (lid == 0u) { RSTD[row] = r; }
}`,
}));

/** dweight = sum over rows of g x r (one thread per column). */
const RMS_NORM_ROPE_DW = shaderTemplate('rmsNormRopeGrad.dweight', () => ({
  uniforms: [
    ['D', 'u32'],
    ['rows', 'u32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> RSTD: array<f32>;
@group(0) @binding(4) var<storage, read_write> DW: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  if (d >= u.D) { return; }
  var acc = 0.0;
  for (var r = 0u; r < u.rows; r++) { acc += G[r * u.D + d] * X[r * u.D + d] * RSTD[r]; }
  DW[d] = acc;
}`,
}));

const rmsNormRopeKernel = implement(rmsNormRope, 'webgpu', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormRope', inputs, 3);
  const [x, w, pos] = inputs;
  assertDType('rmsNormRope', 'x', x, 'float32');
  const gb = gpu(backend);
  const wFormat = operandFormat(gb, w, 'rmsNormRope', 'weight');
  const { b, t, h, d } = rmsNormRopeDims('rmsNormRope', x, w, pos, attrs);
  const out = output(gb, [b, h, t, d]);
  const rows = b * t * h;
  if (rows === 0 || d === 0) return out;
  gb.dispatch({
    shader: RMS_NORM_ROPE,
    params: { w: wFormat },
    uniforms: { T: t, H: h, half: d / 2, eps: attrs.eps, log2theta: Math.log2(attrs.theta) },
    buffers: [
      buf(x, 'rmsNormRope', 'x'),
      buf(w, 'rmsNormRope', 'weight'),
      buf(pos, 'rmsNormRope', 'positions'),
      buf(out, 'rmsNormRope'),
    ],
    workgroups: grid(rows),
  });
  return out;
});

const rmsNormRopeGradKernel = implement(rmsNormRopeGrad, 'webgpu', ({ inputs, attrs, backend }) => {
  assertInputCount('rmsNormRopeGrad', inputs, 4);
  const [dy, x, w, pos] = inputs;
  assertDType('rmsNormRopeGrad', 'dy', dy, 'float32');
  assertDType('rmsNormRopeGrad', 'x', x, 'float32');
  const gb = gpu(backend);
  const wFormat = operandFormat(gb, w, 'rmsNormRopeGrad', 'weight');
  const { b, t, h, d } = rmsNormRopeDims('rmsNormRopeGrad', x, w, pos, attrs, dy);
  const rows = b * t * h;
  const dx = output(gb, x.shape);
  const dw = output(gb, [d], 'float32', rows === 0);
  if (rows === 0 || d === 0) return [dx, dw];
  const g = gb.createStorage(rows * d, 'float32');
  const rstd = gb.createStorage(rows, 'float32');
  gb.dispatch({
    shader: RMS_NORM_ROPE_DX,
    params: { w: wFormat },
    uniforms: { T: t, H: h, half: d / 2, eps: attrs.eps, log2theta: Math.log2(attrs.theta) },
    buffers: [
      buf(dy, 'rmsNormRopeGrad', 'dy'),
      buf(x, 'rmsNormRopeGrad', 'x'),
      buf(w, 'rmsNormRopeGrad', 'weight'),
      buf(pos, 'rmsNormRopeGrad', 'positions'),
      buf(dx, 'rmsNormRopeGrad', 'dx'),
      g.buffer,
      rstd.buffer,
    ],
    workgroups: grid(rows),
  });
  gb.dispatch({
    shader: RMS_NORM_ROPE_DW,
    params: {},
    uniforms: { D: d, rows },
    buffers: [g.buffer, buf(x, 'rmsNormRopeGrad', 'x'), rstd.buffer, buf(dw, 'rmsNormRopeGrad', 'dweight')],
    workgroups: [Math.ceil(d / WG), 1, 1],
  });
  gb.release(g);
  gb.release(rstd);
  return [dx, dw];
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [rmsNormRopeKernel, rmsNormRopeGradKernel];

import { implement } from '../../registry.js';
import { assertDType, fmt, kernelError, sameShape } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { operandDecl, operandEnables, operandFormat, type OperandFormat } from '../../webgpu/operand.js';
import { FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { workgroupReductions } from '../../webgpu/workgroup-reduce.js';
import { rmsNorm, rmsNormGrad } from './contract.js';
import { rmsNormDims } from './math.js';

const RED = workgroupReductions(64, ['sum']);

/**
 * One 64-thread workgroup per row: sum of squares, then scale. With `residual`
 * (addRmsNorm) the row is x + update, written to S as it is summed; each thread
 * scales the elements it summed, so it reads back only its own writes.
 */
export const RMS_NORM = shaderTemplate('rmsNorm', ({ w, residual }: { w: OperandFormat; residual: boolean }) => ({
  enable: operandEnables(w),
  uniforms: [
    ['D', 'u32'],
    ['eps', 'f32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
${
  residual
    ? `@group(0) @binding(2) var<storage, read> U: array<f32>;
${operandDecl('W', 3, w, false)}
@group(0) @binding(4) var<storage, read_write> S: array<f32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;
fn row_in(i: u32) -> f32 { let v = X[i] + U[i]; S[i] = v; return v; }
fn row_again(i: u32) -> f32 { return S[i]; }`
    : `${operandDecl('W', 2, w, false)}
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
fn row_in(i: u32) -> f32 { return X[i]; }
fn row_again(i: u32) -> f32 { return X[i]; }`
}
${RED}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = ${FLAT_WG} * u.D;
  var ss = 0.0;
  for (var j = lid; j < u.D; j += 64u) { let v = row_in(base + j); ss += v * v; }
  ss = wg_sum(ss, lid);
  let r = inverseSqrt(ss / f32(u.D) + u.eps);
  for (var j = lid; j < u.D; j += 64u) { O[base + j] = row_again(base + j) * r * ldW(j); }
}`,
}));

const GRAD_UNIFORMS = [
  ['D', 'u32'],
  ['rows', 'u32'],
  ['eps', 'f32'],
] as const;

/** dx per row (one workgroup per row, which also stores r). */
const RMS_NORM_DX = shaderTemplate('rmsNormGrad.dx', ({ w }: { w: OperandFormat }) => ({
  enable: operandEnables(w),
  uniforms: GRAD_UNIFORMS,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
${operandDecl('W', 3, w, false)}
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
@group(0) @binding(5) var<storage, read_write> RSTD: array<f32>;
${RED}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${FLAT_WG};
  let base = row * u.D;
  var ss = 0.0; var dot = 0.0;
  for (var j = lid; j < u.D; j += 64u) { let v = X[base + j]; ss += v * v; dot += DY[base + j] * ldW(j) * v; }
  ss = wg_sum(ss, lid);
  dot = wg_sum(dot, lid);
  let r = inverseSqrt(ss / f32(u.D) + u.eps);
  let c = r * r * r * dot / f32(u.D);
  for (var j = lid; j < u.D; j += 64u) { DX[base + j] = r * DY[base + j] * ldW(j) - X[base + j] * c; }
  if (lid == 0u) { RSTD[row] = r; }
}`,
}));

/** dweight = sum over rows of dy x r (one thread per column). */
const RMS_NORM_DW = shaderTemplate('rmsNormGrad.dweight', () => ({
  uniforms: GRAD_UNIFORMS,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> RSTD: array<f32>;
@group(0) @binding(4) var<storage, read_write> DW: array<f32>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  if (d >= u.D) { return; }
  var acc = 0.0;
  for (var r = 0u; r < u.rows; r++) { acc += DY[r * u.D + d] * X[r * u.D + d] * RSTD[r]; }
  DW[d] = acc;
}`,
}));

const rmsNormKernel = implement(rmsNorm, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [x, w] = inputs;
  assertDType('rmsNorm', 'x', x, 'float32');
  const wFormat = operandFormat(b, w, 'rmsNorm', 'weight'); // read as stored (see operand.ts)
  const { d: D, rows } = rmsNormDims('rmsNorm', x, w, attrs);
  const out = output(b, x.shape);
  if (rows === 0) return out;
  b.dispatch({
    shader: RMS_NORM,
    params: { w: wFormat, residual: false },
    uniforms: { D, eps: attrs.eps },
    buffers: [buf(x, 'rmsNorm', 'x'), buf(w, 'rmsNorm', 'weight'), buf(out, 'rmsNorm')],
    workgroups: grid(rows),
  });
  return out;
});

/**
 * dx = r (dy w) - x r^3 / D * sum(dy w x) per row (one workgroup per row,
 * which also stores r); dweight = sum over rows of dy x r (one thread per column).
 */
const rmsNormGradKernel = implement(rmsNormGrad, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [dy, x, w] = inputs;
  assertDType('rmsNormGrad', 'dy', dy, 'float32');
  assertDType('rmsNormGrad', 'x', x, 'float32');
  const wFormat = operandFormat(b, w, 'rmsNormGrad', 'weight');
  const { d: D, rows } = rmsNormDims('rmsNormGrad', x, w, attrs);
  if (!sameShape(dy.shape, x.shape)) {
    throw kernelError('rmsNormGrad', `dy ${fmt(dy.shape)} and x ${fmt(x.shape)} must have the same shape`);
  }
  const dx = output(b, x.shape);
  const dw = output(b, [D], 'float32', rows === 0);
  if (rows === 0) return [dx, dw];
  const rstd = b.createStorage(rows, 'float32');
  const uniforms = { D, rows, eps: attrs.eps };
  b.dispatch({
    shader: RMS_NORM_DX,
    params: { w: wFormat },
    uniforms,
    buffers: [
      buf(dy, 'rmsNormGrad', 'dy'),
      buf(x, 'rmsNormGrad', 'x'),
      buf(w, 'rmsNormGrad', 'weight'),
      buf(dx, 'rmsNormGrad'),
      rstd.buffer,
    ],
    workgroups: grid(rows),
  });
  b.dispatch({
    shader: RMS_NORM_DW,
    params: {},
    uniforms,
    buffers: [buf(dy, 'rmsNormGrad', 'dy'), buf(x, 'rmsNormGrad', 'x'), rstd.buffer, buf(dw, 'rmsNormGrad')],
    workgroups: [Math.ceil(D / WG), 1, 1],
  });
  b.release(rstd);
  return [dx, dw];
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [rmsNormKernel, rmsNormGradKernel];

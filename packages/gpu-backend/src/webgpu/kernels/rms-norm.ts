import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { RmsNormAttrs } from '../../kernel-attrs.js';
import { FLAT_WG, grid, type Params } from '../program.js';
import type { WebgpuStorage } from '../storage.js';
import { buf, gpu, output, requireFloat32, requireInputs, sizeOf, WG } from './util.js';
import { workgroupReductions } from './workgroup-reduce.js';

const RED = workgroupReductions(64, ['sum']);

function checkShapes(name: string, x: TensorInfo, w: TensorInfo): { D: number; rows: number } {
  requireFloat32(x, name, 'x');
  requireFloat32(w, name, 'weight');
  const D = x.shape[x.shape.length - 1] ?? 1;
  if (w.shape.length !== 1 || w.shape[0] !== D) {
    throw new Error(`kernel '${name}': weight [${w.shape.join(', ')}] must be [${D}] for x [${x.shape.join(', ')}]`);
  }
  return { D, rows: D === 0 ? 0 : sizeOf(x.shape) / D };
}

/** One 64-thread workgroup per row: sum of squares, then scale. */
export const rmsNorm: KernelFunc<RmsNormAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 2, 'rmsNorm');
  const b = gpu(backend);
  const [x, w] = [inputs[0]!, inputs[1]!];
  const { D, rows } = checkShapes('rmsNorm', x, w);
  const out = output(b, x.shape);
  if (rows === 0) return out;
  const params: Params = { D: ['u32', D], eps: ['f32', attrs.eps] };
  b.dispatch({
    name: 'rmsNorm',
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
${RED}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = ${FLAT_WG} * u.D;
  var ss = 0.0;
  for (var j = lid; j < u.D; j += 64u) { let v = X[base + j]; ss += v * v; }
  ss = wg_sum(ss, lid);
  let r = inverseSqrt(ss / f32(u.D) + u.eps);
  for (var j = lid; j < u.D; j += 64u) { O[base + j] = X[base + j] * r * W[j]; }
}`,
    params,
    buffers: [buf(x, 'rmsNorm', 'x'), buf(w, 'rmsNorm', 'weight'), buf(out, 'rmsNorm', 'output')],
    workgroups: grid(rows),
  });
  return out;
};

/**
 * dx = r (dy w) - x r^3 / D * sum(dy w x) per row (one workgroup per row,
 * which also stores r); dweight = sum over rows of dy x r (one thread per column).
 */
export const rmsNormGrad: KernelFunc<RmsNormAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 3, 'rmsNormGrad');
  const b = gpu(backend);
  const [dy, x, w] = [inputs[0]!, inputs[1]!, inputs[2]!];
  requireFloat32(dy, 'rmsNormGrad', 'dy');
  const { D, rows } = checkShapes('rmsNormGrad', x, w);
  if (dy.shape.join() !== x.shape.join()) {
    throw new Error(`kernel 'rmsNormGrad': dy [${dy.shape.join(', ')}] and x [${x.shape.join(', ')}] differ`);
  }
  const dx = output(b, x.shape);
  const dw = output(b, [D], 'float32', rows === 0);
  if (rows === 0) return [dx, dw];
  const rstd = b.createStorage(rows, 'float32');
  const params: Params = { D: ['u32', D], rows: ['u32', rows], eps: ['f32', attrs.eps] };
  b.dispatch({
    name: 'rmsNormGrad',
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> W: array<f32>;
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;
@group(0) @binding(5) var<storage, read_write> RSTD: array<f32>;
${RED}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${FLAT_WG};
  let base = row * u.D;
  var ss = 0.0; var dot = 0.0;
  for (var j = lid; j < u.D; j += 64u) { let v = X[base + j]; ss += v * v; dot += DY[base + j] * W[j] * v; }
  ss = wg_sum(ss, lid);
  dot = wg_sum(dot, lid);
  let r = inverseSqrt(ss / f32(u.D) + u.eps);
  let c = r * r * r * dot / f32(u.D);
  for (var j = lid; j < u.D; j += 64u) { DX[base + j] = r * DY[base + j] * W[j] - X[base + j] * c; }
  if (lid == 0u) { RSTD[row] = r; }
}`,
    params,
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
    name: 'rmsNormGrad',
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
    params,
    buffers: [buf(dy, 'rmsNormGrad', 'dy'), buf(x, 'rmsNormGrad', 'x'), rstd.buffer, buf(dw, 'rmsNormGrad')],
    workgroups: [Math.ceil(D / WG), 1, 1],
  });
  b.release(rstd as WebgpuStorage);
  return [dx, dw];
};

import { implement } from '../../registry.js';
import { assertDType, assertSameShape, fmt, kernelError, sizeOf } from '../../shape.js';
import { buf, gpu, output } from '../../webgpu/kernel-util.js';
import { operandDecl, operandEnables, operandFormat, type OperandFormat } from '../../webgpu/operand.js';
import { FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { workgroupReductions } from '../../webgpu/workgroup-reduce.js';
import { addRmsNorm } from './contract.js';

const RED = workgroupReductions(64, ['sum']);

/** One 64-thread workgroup per row: the sum written and its squares summed, then the sum scaled. */
const ADD_RMS_NORM = shaderTemplate('addRmsNorm', ({ w }: { w: OperandFormat }) => ({
  enable: operandEnables(w),
  uniforms: [
    ['D', 'u32'],
    ['eps', 'f32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> U: array<f32>;
${operandDecl('W', 3, w, false)}
@group(0) @binding(4) var<storage, read_write> S: array<f32>;
@group(0) @binding(5) var<storage, read_write> O: array<f32>;
${RED}
@compute @workgroup_size(64) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = ${FLAT_WG} * u.D;
  var ss = 0.0;
  for (var j = lid; j < u.D; j += 64u) { let v = X[base + j] + U[base + j]; S[base + j] = v; ss += v * v; }
  ss = wg_sum(ss, lid);
  let r = inverseSqrt(ss / f32(u.D) + u.eps);
  // Each thread scales the elements it summed (the same j), so it reads back only its own writes.
  for (var j = lid; j < u.D; j += 64u) { O[base + j] = S[base + j] * r * ldW(j); }
}`,
}));

const addRmsNormKernel = implement(addRmsNorm, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [x, update, w] = inputs;
  assertDType('addRmsNorm', 'x', x, 'float32');
  assertDType('addRmsNorm', 'update', update, 'float32');
  assertSameShape('addRmsNorm', ['x', 'update'], [x.shape, update.shape]);
  const wFormat = operandFormat(b, w, 'addRmsNorm', 'weight');
  if (x.shape.length < 1) throw kernelError('addRmsNorm', `x must have rank >= 1, got ${fmt(x.shape)}`);
  const D = x.shape[x.shape.length - 1];
  if (w.shape.length !== 1 || w.shape[0] !== D)
    throw kernelError('addRmsNorm', `weight ${fmt(w.shape)} must be [${D}] to match x ${fmt(x.shape)}`);
  if (!(attrs.eps >= 0)) throw kernelError('addRmsNorm', `attrs.eps must be a non-negative number, got ${attrs.eps}`);
  const sum = output(b, x.shape);
  const normed = output(b, x.shape);
  const rows = D === 0 ? 0 : sizeOf(x.shape) / D;
  if (rows === 0) return [sum, normed];
  b.dispatch({
    shader: ADD_RMS_NORM,
    params: { w: wFormat },
    uniforms: { D, eps: attrs.eps },
    buffers: [
      buf(x, 'addRmsNorm', 'x'),
      buf(update, 'addRmsNorm', 'update'),
      buf(w, 'addRmsNorm', 'weight'),
      buf(sum, 'addRmsNorm', 'sum'),
      buf(normed, 'addRmsNorm', 'normed'),
    ],
    workgroups: grid(rows),
  });
  return [sum, normed];
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [addRmsNormKernel];

import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { AxisAttrs } from '../../kernel-attrs.js';
import type { WebgpuBackend } from '../backend.js';
import { FLAT_WG, grid, type Params } from '../program.js';
import { buf, gpu, normAxis, output, requireFloat32, requireInputs, sizeOf } from './util.js';
import { workgroupReductions } from './workgroup-reduce.js';

export type RowOp = 'softmax' | 'logSoftmax' | 'logSumExp' | 'softmaxGrad' | 'logSoftmaxGrad';

/**
 * Row-wise softmax family along `axis`, seen as [outer, L, inner]: one
 * workgroup per (outer, inner) row strides over the L elements (151,936 for
 * a Qwen3 vocabulary) in three passes: max, sum of exp, write.
 */
export function rowOpRun(
  backend: WebgpuBackend,
  op: RowOp,
  inputs: readonly TensorInfo[],
  axisAttr: number,
  keepDims = false,
): TensorInfo {
  const grad = op === 'softmaxGrad' || op === 'logSoftmaxGrad';
  requireInputs(inputs, grad ? 2 : 1, op);
  const x = inputs[grad ? 1 : 0]!;
  inputs.slice(0, grad ? 2 : 1).forEach((t, i) => requireFloat32(t, op, `input ${i}`));
  if (grad && inputs[0]!.shape.join() !== x.shape.join()) {
    throw new Error(`kernel '${op}': dy [${inputs[0]!.shape.join(', ')}] and y [${x.shape.join(', ')}] differ`);
  }
  const rank = x.shape.length;
  const axis = normAxis(axisAttr, rank, op);
  const L = rank === 0 ? 1 : x.shape[axis]!;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outShape =
    op === 'logSumExp'
      ? keepDims
        ? x.shape.map((d, i) => (i === axis ? 1 : d))
        : x.shape.filter((_, i) => i !== axis)
      : x.shape;
  const out = output(backend, outShape);
  const rows = outer * inner;
  if (rows === 0 || sizeOf(outShape) === 0) return out;
  const wg = L >= 2048 ? 256 : 64;
  const params: Params = { L: ['u32', L], inner: ['u32', inner] };
  const at = 'base + j * u.inner';
  let body: string;
  switch (op) {
    case 'softmax':
    case 'logSoftmax':
    case 'logSumExp':
      body = `
  var m = -f32_inf();
  for (var j = lid; j < u.L; j += ${wg}u) { m = max(m, X[${at}]); }
  m = wg_max(m, lid);
  var s = 0.0;
  if (m > -f32_inf()) { for (var j = lid; j < u.L; j += ${wg}u) { s += exp(X[${at}] - m); } }
  s = wg_sum(s, lid);
  let lse = select(m + log(s), m, m == -f32_inf() || f32_is_inf(m));
  ${
    op === 'logSumExp'
      ? 'if (lid == 0u) { O[row] = lse; }'
      : op === 'softmax'
        ? `for (var j = lid; j < u.L; j += ${wg}u) { O[${at}] = exp(X[${at}] - m) / s; }`
        : `for (var j = lid; j < u.L; j += ${wg}u) { O[${at}] = X[${at}] - lse; }`
  }`;
      break;
    case 'softmaxGrad':
      body = `
  var d = 0.0;
  for (var j = lid; j < u.L; j += ${wg}u) { d += DY[${at}] * X[${at}]; }
  d = wg_sum(d, lid);
  for (var j = lid; j < u.L; j += ${wg}u) { O[${at}] = X[${at}] * (DY[${at}] - d); }`;
      break;
    case 'logSoftmaxGrad':
      body = `
  var d = 0.0;
  for (var j = lid; j < u.L; j += ${wg}u) { d += DY[${at}]; }
  d = wg_sum(d, lid);
  for (var j = lid; j < u.L; j += ${wg}u) { O[${at}] = DY[${at}] - exp(X[${at}]) * d; }`;
      break;
  }
  const code = /* wgsl */ `
${grad ? '@group(0) @binding(1) var<storage, read> DY: array<f32>;' : ''}
@group(0) @binding(${grad ? 2 : 1}) var<storage, read> X: array<f32>;
@group(0) @binding(${grad ? 3 : 2}) var<storage, read_write> O: array<f32>;
${workgroupReductions(wg, ['max', 'sum'])}
@compute @workgroup_size(${wg}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${FLAT_WG};
  let base = (row / u.inner) * u.L * u.inner + row % u.inner;
  ${body}
}`;
  backend.dispatch({
    name: op,
    code,
    params,
    buffers: [...(grad ? [buf(inputs[0]!, op, 'dy')] : []), buf(x, op, grad ? 'y' : 'x'), buf(out, op, 'output')],
    workgroups: grid(rows),
  });
  return out;
}

export function rowOpKernel(op: RowOp): KernelFunc<AxisAttrs> {
  return ({ inputs, attrs, backend }) => rowOpRun(gpu(backend), op, inputs, attrs.axis ?? -1, !!attrs.keepDims);
}

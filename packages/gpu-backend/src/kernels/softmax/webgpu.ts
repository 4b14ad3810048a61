import type { TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { assertDType, assertSameShape, normalizeAxis, sizeOf } from '../../shape.js';
import type { WebgpuBackend } from '../../webgpu/backend.js';
import { buf, gpu, output } from '../../webgpu/kernel-util.js';
import { FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { workgroupReductions } from '../../webgpu/workgroup-reduce.js';
import { contracts } from './contract.js';

type RowOp = (typeof contracts)[number]['name'];

/**
 * Row-wise softmax family along `axis`, seen as [outer, L, inner]: one
 * workgroup per (outer, inner) row strides over the L elements (151,936 for
 * a Qwen3 vocabulary) in three passes: max, sum of exp, write. The template
 * is parameterised by the op and the workgroup size.
 */
const ROW_OP = shaderTemplate('softmaxFamily', ({ op, wg }: { op: RowOp; wg: number }) => {
  const grad = op === 'softmaxGrad' || op === 'logSoftmaxGrad';
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
  return {
    uniforms: [
      ['L', 'u32'],
      ['inner', 'u32'],
    ],
    code: /* wgsl */ `
${grad ? '@group(0) @binding(1) var<storage, read> DY: array<f32>;' : ''}
@group(0) @binding(${grad ? 2 : 1}) var<storage, read> X: array<f32>;
@group(0) @binding(${grad ? 3 : 2}) var<storage, read_write> O: array<f32>;
${workgroupReductions(wg, ['max', 'sum'])}
@compute @workgroup_size(${wg}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${FLAT_WG};
  let base = (row / u.inner) * u.L * u.inner + row % u.inner;
  ${body}
}`,
  };
});

function rowOpRun(
  backend: WebgpuBackend,
  op: RowOp,
  inputs: readonly TensorInfo[],
  axisAttr: number,
  keepDims: boolean,
): TensorInfo {
  const grad = op === 'softmaxGrad' || op === 'logSoftmaxGrad';
  const x = inputs[grad ? 1 : 0];
  inputs.forEach((t, i) => assertDType(op, grad ? ['dy', 'y'][i] : 'x', t, 'float32'));
  if (grad) assertSameShape(op, ['dy', 'y'], [inputs[0].shape, x.shape]);
  const rank = x.shape.length;
  const axis = normalizeAxis(op, axisAttr, rank);
  const L = x.shape[axis];
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
  backend.dispatch({
    shader: ROW_OP,
    params: { op, wg: L >= 2048 ? 256 : 64 },
    uniforms: { L, inner },
    buffers: [...(grad ? [buf(inputs[0], op, 'dy')] : []), buf(x, op, grad ? 'y' : 'x'), buf(out, op)],
    workgroups: grid(rows),
  });
  return out;
}

/** The webgpu implementations of this folder's kernels. */
export const implementations = contracts.map((contract) =>
  implement(contract, 'webgpu', ({ inputs, attrs, backend }) =>
    rowOpRun(gpu(backend), contract.name, inputs, attrs.axis, 'keepDims' in attrs && attrs.keepDims === true),
  ),
);

import { implement } from '../../registry.js';
import { assertDType, assertInputCount, sizeOf } from '../../shape.js';
import { faultDecl } from '../../webgpu/faults.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { workgroupReductions } from '../../webgpu/workgroup-reduce.js';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './contract.js';
import { crossEntropyDims } from './math.js';

/** Fault codes (webgpu/backend.ts FAULTS): a target outside [0, V). */
const FAULT_FORWARD = 5;
const FAULT_GRAD = 6;

/**
 * One workgroup per row: the maximum, the sum of exp(x - max), then thread 0
 * writes lse and nll = lse - x[target]. The workgroup size is a parameter
 * (256 threads for long rows such as a real vocabulary).
 */
const CROSS_ENTROPY = shaderTemplate('softmaxCrossEntropy', ({ wg }: { wg: number }) => ({
  uniforms: [['V', 'u32']],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read_write> NLL: array<f32>;
@group(0) @binding(4) var<storage, read_write> LSE: array<f32>;
${faultDecl(5)}
${workgroupReductions(wg, ['max', 'sum'])}
@compute @workgroup_size(${wg}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${FLAT_WG};
  let base = row * u.V;
  var m = -f32_inf();
  for (var j = lid; j < u.V; j += ${wg}u) { m = max(m, X[base + j]); }
  m = wg_max(m, lid);
  var s = 0.0;
  if (m > -f32_inf()) { for (var j = lid; j < u.V; j += ${wg}u) { s += exp(X[base + j] - m); } }
  s = wg_sum(s, lid);
  if (lid == 0u) {
    let lse = select(m + log(s), m, m == -f32_inf() || f32_is_inf(m));
    LSE[row] = lse;
    let t = T[row];
    if (t < 0 || t >= i32(u.V)) { fault(${FAULT_FORWARD}u, t); NLL[row] = 0.0; return; }
    NLL[row] = lse - X[base + u32(t)];
  }
}`,
}));

/** dlogits[r, j] = dnll[r] (exp(x - lse[r]) - (j == target[r])), one thread per element. */
const CROSS_ENTROPY_GRAD = shaderTemplate('softmaxCrossEntropyGrad', () => ({
  uniforms: [
    ['n', 'u32'],
    ['V', 'u32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DNLL: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> T: array<i32>;
@group(0) @binding(4) var<storage, read> LSE: array<f32>;
@group(0) @binding(5) var<storage, read_write> DX: array<f32>;
${faultDecl(6)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  let row = i / u.V;
  let j = i - row * u.V;
  let t = T[row];
  if (t < 0 || t >= i32(u.V)) { fault(${FAULT_GRAD}u, t); DX[i] = 0.0; return; }
  let c = DNLL[row];
  DX[i] = c * exp(X[i] - LSE[row]) - select(0.0, c, j == u32(t));
}`,
}));

const softmaxCrossEntropyKernel = implement(softmaxCrossEntropy, 'webgpu', ({ inputs, backend }) => {
  assertInputCount('softmaxCrossEntropy', inputs, 2);
  const [logits, targets] = inputs;
  assertDType('softmaxCrossEntropy', 'logits', logits, 'float32');
  const { rows, v } = crossEntropyDims('softmaxCrossEntropy', logits, targets);
  const b = gpu(backend);
  const nll = output(b, targets.shape);
  const lse = output(b, targets.shape);
  if (rows === 0) return [nll, lse];
  b.dispatch({
    shader: CROSS_ENTROPY,
    params: { wg: v >= 2048 ? 256 : 64 },
    uniforms: { V: v },
    buffers: [
      buf(logits, 'softmaxCrossEntropy', 'logits'),
      buf(targets, 'softmaxCrossEntropy', 'targets'),
      buf(nll, 'softmaxCrossEntropy', 'nll'),
      buf(lse, 'softmaxCrossEntropy', 'lse'),
      b.faultBinding(),
    ],
    workgroups: grid(rows),
  });
  return [nll, lse];
});

const softmaxCrossEntropyGradKernel = implement(softmaxCrossEntropyGrad, 'webgpu', ({ inputs, backend }) => {
  assertInputCount('softmaxCrossEntropyGrad', inputs, 4);
  const [dnll, logits, targets, lse] = inputs;
  for (const [what, t] of [
    ['dnll', dnll],
    ['logits', logits],
    ['lse', lse],
  ] as const)
    assertDType('softmaxCrossEntropyGrad', what, t, 'float32');
  const { v } = crossEntropyDims('softmaxCrossEntropyGrad', logits, targets, [
    ['dnll', dnll],
    ['lse', lse],
  ]);
  const b = gpu(backend);
  const dx = output(b, logits.shape);
  const n = sizeOf(logits.shape);
  if (n === 0) return dx;
  b.dispatch({
    shader: CROSS_ENTROPY_GRAD,
    params: {},
    uniforms: { n, V: v },
    buffers: [
      buf(dnll, 'softmaxCrossEntropyGrad', 'dnll'),
      buf(logits, 'softmaxCrossEntropyGrad', 'logits'),
      buf(targets, 'softmaxCrossEntropyGrad', 'targets'),
      buf(lse, 'softmaxCrossEntropyGrad', 'lse'),
      buf(dx, 'softmaxCrossEntropyGrad'),
      b.faultBinding(),
    ],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return dx;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [softmaxCrossEntropyKernel, softmaxCrossEntropyGradKernel];

import type { TensorInfo } from '../../backend.js';
import type { AttrsOf } from '../../contract/kernel-types.js';
import type { WebgpuBackend } from '../../webgpu/backend.js';
import { buf, output } from '../../webgpu/kernel-util.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { batchIndexCode, matmulUniforms, planMatmul } from './webgpu-plan.js';

const T = 16;

/**
 * Classic shared-memory tiled matmul: 16x16 threads, one output each, 16x16
 * tiles of A and B staged in workgroup memory. Used for small or skinny
 * products where the register-blocked kernel's 64/128 tiles would idle.
 */
const TILED = shaderTemplate(
  'matmul.tiled',
  ({ tA, tB, batchRank }: { tA: boolean; tB: boolean; batchRank: number }) => {
    const aAt = tA ? '(aBase + k * u.M + m)' : '(aBase + m * u.K + k)';
    const bAt = tB ? '(bBase + n * u.K + k)' : '(bBase + k * u.N + n)';
    return {
      uniforms: matmulUniforms(batchRank),
      code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> As: array<array<f32, ${T}>, ${T}>;
var<workgroup> Bs: array<array<f32, ${T + 1}>, ${T}>;
@compute @workgroup_size(${T}, ${T}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let bz = wid.z;
  ${batchIndexCode(batchRank, true)}
  let row = wid.y * ${T}u + lid.y;
  let col = wid.x * ${T}u + lid.x;
  var acc = 0.0;
  let tiles = (u.K + ${T - 1}u) / ${T}u;
  for (var t = 0u; t < tiles; t++) {
    { let m = row; let k = t * ${T}u + lid.x;
      As[lid.y][lid.x] = select(0.0, A[${aAt}], m < u.M && k < u.K); }
    { let n = wid.x * ${T}u + lid.x; let k = t * ${T}u + lid.y;
      Bs[lid.y][lid.x] = select(0.0, B[${bAt}], n < u.N && k < u.K); }
    workgroupBarrier();
    for (var k = 0u; k < ${T}u; k++) { acc = fma(As[lid.y][k], Bs[k][lid.x], acc); }
    workgroupBarrier();
  }
  if (row < u.M && col < u.N) { C[bz * u.M * u.N + row * u.N + col] = acc; }
}`,
    };
  },
);

/** The shared-memory tiled matmul (what `matmul` runs for small or skinny products). */
export function matmulTiled(
  backend: WebgpuBackend,
  a: TensorInfo,
  b: TensorInfo,
  attrs: AttrsOf<'matmul'>,
): TensorInfo {
  const plan = planMatmul('matmul', a, b, attrs);
  const out = output(backend, plan.outShape);
  if (plan.M * plan.N * plan.batch === 0) return out;
  if (plan.K === 0) {
    backend.clear(out.storage);
    return out;
  }
  backend.dispatch({
    shader: TILED,
    params: { tA: plan.tA, tB: plan.tB, batchRank: plan.batchRank },
    uniforms: plan.uniforms,
    buffers: [buf(a, 'matmul', 'a'), buf(b, 'matmul', 'b'), buf(out, 'matmul')],
    workgroups: [Math.ceil(plan.N / T), Math.ceil(plan.M / T), plan.batch],
  });
  return out;
}

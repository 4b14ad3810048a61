import type { TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { matmulKernel } from '../matmul/webgpu.js';
import { planMatmul } from '../matmul/webgpu-plan.js';
import { gemvApplies, matmulGemv } from '../matmul/webgpu-gemv.js';
import { loraLinear } from './contract.js';
import { adapterInput } from './adapter-input.js';
import { loraLinearDims } from './math.js';

/** out = y + scale * t u^T, one thread per output: t [M, R], u [N, R], y and out [M, N]. */
const LOW_RANK_ADD = shaderTemplate('loraLinear.lowRankAdd', ({ rank }: { rank: number }) => ({
  uniforms: [
    ['M', 'u32'],
    ['N', 'u32'],
    ['scale', 'f32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.M * u.N) { return; }
  let m = i / u.N;
  let n = i - m * u.N;
  var low = 0.0;
  for (var j = 0u; j < ${rank}u; j++) { low = fma(T[m * ${rank}u + j], U[n * ${rank}u + j], low); }
  O[i] = Y[i] + low * u.scale;
}`,
}));

/**
 * Decoding (a few rows): x A^T by the matmul kernel's GEMV, then one GEMV
 * over the weight that adds each output's low-rank term before it writes it:
 * two launches where the unfused layer takes five. More rows: the weight's
 * product by the tuned matmul, x A^T, then one pass adding the low-rank term
 * (three launches).
 */
const loraLinearKernel = implement(loraLinear, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const { m, n, k } = loraLinearDims(inputs, attrs);
  const [x, weight, a, up] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  if (m * n === 0 || k === 0) return matmulKernel.run({ inputs: [x, weight], attrs: { transposeB: true }, backend });
  const dropped = adapterInput(backend, x, attrs); // dropout: one more launch (training only)
  const down = matmulKernel.run({ inputs: [dropped, a], attrs: { transposeB: true }, backend }) as TensorInfo; // [M, R]
  if (dropped !== x) b.release(dropped.storage);
  const plan = planMatmul(b, 'loraLinear', x, weight, { transposeB: true });
  let out: TensorInfo;
  if (gemvApplies(plan, weight)) {
    out = matmulGemv(b, x, weight, { transposeB: true }, { t: down, u: up, scale: attrs.scaling });
  } else {
    const base = matmulKernel.run({ inputs: [x, weight], attrs: { transposeB: true }, backend }) as TensorInfo;
    out = output(b, [m, n]);
    b.dispatch({
      shader: LOW_RANK_ADD,
      params: { rank: up.shape[1]! },
      uniforms: { M: m, N: n, scale: attrs.scaling },
      buffers: [
        buf(base, 'loraLinear', 'x weight^T'),
        buf(down, 'loraLinear', 'x loraA^T'),
        buf(up, 'loraLinear', 'loraB'),
        buf(out, 'loraLinear'),
      ],
      workgroups: grid(Math.ceil((m * n) / WG)),
    });
    b.release(base.storage);
  }
  b.release(down.storage);
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [loraLinearKernel];

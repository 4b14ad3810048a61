import { implement } from '../../registry.js';
import { sizeOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { PHILOX, seedWords } from '../random/webgpu.js';
import { dropout } from './contract.js';
import { dropoutArgs } from './math.js';

/** One thread per 4 elements (one Philox block), as randomUniform draws them. */
const DROPOUT = shaderTemplate('dropout', () => ({
  uniforms: [
    ['n', 'u32'],
    ['blocks', 'u32'],
    ['k0', 'u32'],
    ['k1', 'u32'],
    ['threshold', 'f32'],
    ['scale', 'f32'],
  ],
  code: /* wgsl */ `${PHILOX}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let blk = ${FLAT_WG} * ${WG}u + lid;
  if (blk >= u.blocks) { return; }
  let w = philox(blk, u.k0, u.k1);
  for (var c = 0u; c < 4u; c++) {
    let e = blk * 4u + c;
    if (e < u.n) {
      let keep = select(0.0, 1.0, uniform01(w[c]) >= u.threshold);
      O[e] = (X[e] * keep) * u.scale;
    }
  }
}`,
}));

const dropoutKernel = implement(dropout, 'webgpu', ({ inputs, attrs, backend }) => {
  const { threshold, scale } = dropoutArgs(inputs, attrs);
  const b = gpu(backend);
  const x = inputs[0]!;
  const out = output(b, x.shape);
  const n = sizeOf(x.shape);
  if (n === 0) return out;
  const blocks = Math.ceil(n / 4);
  const [k0, k1] = seedWords(attrs.seed);
  b.dispatch({
    shader: DROPOUT,
    params: {},
    uniforms: { n, blocks, k0, k1, threshold, scale },
    buffers: [buf(x, 'dropout', 'x'), buf(out, 'dropout')],
    workgroups: grid(Math.ceil(blocks / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [dropoutKernel];

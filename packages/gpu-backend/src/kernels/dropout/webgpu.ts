import { implement } from '../../registry.js';
import { sizeOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { philoxKey } from '../../random/philox.js';
import { perElementOfBlock, PHILOX_UNIFORMS } from '../random/webgpu.js';
import { dropout } from './contract.js';
import { dropoutArgs } from './math.js';

/** One thread per Philox block, as randomUniform draws it: each element kept where its uniform reaches p. */
const DROPOUT = shaderTemplate('dropout', () => ({
  uniforms: [...PHILOX_UNIFORMS, ['threshold', 'f32'], ['scale', 'f32']],
  code: perElementOfBlock(
    `@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;`,
    'O[e] = (X[e] * select(0.0, 1.0, uniform01(w[c]) >= u.threshold)) * u.scale;',
  ),
}));

const dropoutKernel = implement(dropout, 'webgpu', ({ inputs, attrs, backend }) => {
  const { threshold, scale } = dropoutArgs(inputs, attrs);
  const b = gpu(backend);
  const x = inputs[0]!;
  const out = output(b, x.shape);
  const n = sizeOf(x.shape);
  if (n === 0) return out;
  const blocks = Math.ceil(n / 4);
  const [k0, k1] = philoxKey(attrs.seed);
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

import { float32Bits, float32ToBfloat16Bits, float32ToFloat16Bits } from '../../dtype-convert.js';
import { implement } from '../../registry.js';
import { assertShape, sizeOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { fill } from './contract.js';

/** Every 32-bit word of the storage gets the value's bit pattern (two copies for 16-bit dtypes). */
const FILL = shaderTemplate('fill', () => ({
  uniforms: [
    ['n', 'u32'],
    ['word', 'u32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i < u.n) { O[i] = u.word; }
}`,
}));

const fillKernel = implement(fill, 'webgpu', ({ attrs, backend }) => {
  const dtype = attrs.dtype ?? 'float32';
  assertShape('fill', 'shape', attrs.shape);
  const b = gpu(backend);
  const out = output(b, attrs.shape, dtype);
  const n = sizeOf(attrs.shape);
  if (n === 0) return out;
  let word: number;
  let words: number;
  if (dtype === 'float32') {
    word = float32Bits(attrs.value);
    words = n;
  } else if (dtype === 'int32') {
    word = Math.trunc(attrs.value) | 0;
    words = n;
  } else {
    const h = dtype === 'float16' ? float32ToFloat16Bits(attrs.value) : float32ToBfloat16Bits(attrs.value);
    word = (h | (h << 16)) >>> 0;
    words = Math.ceil(n / 2);
  }
  b.dispatch({
    shader: FILL,
    params: {},
    uniforms: { n: words, word: word >>> 0 },
    buffers: [buf(out, 'fill')],
    workgroups: grid(Math.ceil(words / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [fillKernel];

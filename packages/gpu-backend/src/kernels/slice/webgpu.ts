import { implement } from '../../registry.js';
import { sizeOf, stridesOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { assert32, stridedCopy } from '../../webgpu/strided-copy.js';
import { slice, sliceGrad } from './contract.js';
import { sliceSize } from './math.js';

/** A strided copy starting at the window's first element. */
const sliceKernel = implement(slice, 'webgpu', ({ inputs, attrs, backend }) => {
  const [x] = inputs;
  assert32('slice', x);
  const size = sliceSize('slice', x.shape, attrs.begin, attrs.size);
  const st = stridesOf(x.shape);
  const base = attrs.begin.reduce((acc, b0, i) => acc + b0 * st[i], 0);
  return stridedCopy(gpu(backend), 'slice', x, size, st, base);
});

/** Zeros of inputShape with dy at begin: one thread per output element, reading dy inside the window. */
const SLICE_GRAD = shaderTemplate('sliceGrad', ({ rank }: { rank: number }) => {
  const uniforms: [string, 'u32'][] = [['n', 'u32']];
  let index = 'var off = 0u; var inside = true; var rem = i;';
  for (let d = rank - 1; d >= 0; d--) {
    uniforms.push([`d${d}`, 'u32'], [`b${d}`, 'u32'], [`e${d}`, 'u32'], [`s${d}`, 'u32']);
    index += ` { let c = rem % u.d${d}; rem = rem / u.d${d}; inside = inside && c >= u.b${d} && c < u.e${d}; off += (c - u.b${d}) * u.s${d}; }`;
  }
  return {
    uniforms,
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DY: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  ${index}
  O[i] = select(0u, DY[select(0u, off, inside)], inside);
}`,
  };
});

const sliceGradKernel = implement(sliceGrad, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [dy] = inputs;
  assert32('sliceGrad', dy);
  const shape = attrs.inputShape;
  sliceSize('sliceGrad', shape, attrs.begin, dy.shape);
  const out = output(b, shape, dy.dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  if (sizeOf(dy.shape) === 0) {
    b.clear(out.storage);
    return out;
  }
  const dst = stridesOf(dy.shape);
  const uniforms: Record<string, number> = { n };
  for (let d = 0; d < shape.length; d++) {
    uniforms[`d${d}`] = shape[d];
    uniforms[`b${d}`] = attrs.begin[d];
    uniforms[`e${d}`] = attrs.begin[d] + dy.shape[d];
    uniforms[`s${d}`] = dst[d];
  }
  b.dispatch({
    shader: SLICE_GRAD,
    params: { rank: shape.length },
    uniforms,
    buffers: [buf(dy, 'sliceGrad', 'dy'), buf(out, 'sliceGrad')],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [sliceKernel, sliceGradKernel];

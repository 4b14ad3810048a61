import { implement } from '../../registry.js';
import { assertInputCount, sizeOf, stridesOf } from '../../shape.js';
import { buf, gpu, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { assert32 } from '../../webgpu/strided-copy.js';
import { writeSlice } from './contract.js';
import { assertWriteSlice } from './math.js';

/**
 * One thread per update element: T[base + sum_d c_d * s_d] = U[i], c the
 * update's coordinates of i, s the target's strides, base the offset of
 * begin. Axes of size 1 are dropped first (the rank parameterises the WGSL).
 */
const WRITE_SLICE = shaderTemplate('writeSlice', ({ rank }: { rank: number }) => {
  const uniforms: [string, 'u32'][] = [
    ['n', 'u32'],
    ['base', 'u32'],
  ];
  let index = 'var off = u.base; var rem = i;';
  for (let d = rank - 1; d >= 0; d--) {
    uniforms.push([`d${d}`, 'u32'], [`s${d}`, 'u32']);
    index += ` { let c = rem % u.d${d}; rem = rem / u.d${d}; off += c * u.s${d}; }`;
  }
  return {
    uniforms,
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> T: array<u32>;
@group(0) @binding(2) var<storage, read> U: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  ${index}
  T[off] = U[i];
}`,
  };
});

/** 32-bit words move bit-exactly (float32, int32); a 16-bit target is refused, as slice refuses one. */
const writeSliceKernel = implement(writeSlice, 'webgpu', ({ inputs, attrs, backend }) => {
  assertInputCount('writeSlice', inputs, 2);
  const [target, update] = inputs;
  assertWriteSlice(target, update, attrs.begin);
  assert32('writeSlice', target);
  const n = sizeOf(update.shape);
  if (n === 0) return;
  const strides = stridesOf(target.shape);
  const base = attrs.begin.reduce((acc, b0, i) => acc + b0 * strides[i], 0);
  const uniforms: Record<string, number> = { n, base };
  let rank = 0;
  update.shape.forEach((d, i) => {
    if (d === 1) return;
    uniforms[`d${rank}`] = d;
    uniforms[`s${rank}`] = strides[i];
    rank++;
  });
  gpu(backend).dispatch({
    shader: WRITE_SLICE,
    params: { rank },
    uniforms,
    buffers: [buf(target, 'writeSlice', 'target'), buf(update, 'writeSlice', 'update')],
    workgroups: grid(Math.ceil(n / WG)),
  });
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [writeSliceKernel];

import type { TensorInfo } from '../../backend.js';
import type { DType } from '../../dtype.js';
import { implement } from '../../registry.js';
import { sizeOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { cast } from './contract.js';

/** Bit-level conversions between float32 and the 16-bit formats, round-to-nearest-even, as the host does. */
const HALF = /* wgsl */ `
fn f16_to_f32(h: u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { return select(1.0, -1.0, sign != 0u) * f32(m) * 5.9604644775390625e-8; }
  if (e == 31u) { return bitcast<f32>(sign | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}
fn f32_to_f16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sign = (b >> 16u) & 0x8000u;
  let e8 = (b >> 23u) & 0xffu;
  var m = b & 0x7fffffu;
  if (e8 == 0xffu) { return sign | 0x7c00u | select(0u, 0x200u, m != 0u); }
  let e = i32(e8) - 112;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    m = m | 0x800000u;
    let shift = u32(14 - e);
    let half = 1u << (shift - 1u);
    let rest = m & ((1u << shift) - 1u);
    var h = m >> shift;
    if (rest > half || (rest == half && (h & 1u) == 1u)) { h += 1u; }
    return sign | h;
  }
  var h = (u32(e) << 10u) | (m >> 13u);
  let rest = m & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) == 1u)) { h += 1u; }
  return sign | h;
}
fn f32_to_bf16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return ((b >> 16u) | 0x40u) & 0xffffu; }
  return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
}
// Saturating like the host (WGSL's i32() clamps to 2147483520, the largest float32 below 2^31); NaN -> 0.
fn f32_to_i32(v: f32) -> i32 {
  if (f32_is_nan(v)) { return 0; }
  if (v >= 2147483648.0) { return 2147483647; }
  return i32(trunc(v));
}
fn bf16_to_f32(h: u32) -> f32 { return bitcast<f32>(h << 16u); }
fn half_at(i: u32) -> u32 { return (X[i / 2u] >> (16u * (i % 2u))) & 0xffffu; }
`;

function readValue(dtype: DType): string {
  switch (dtype) {
    case 'float32':
      return 'bitcast<f32>(X[i])';
    case 'int32':
      return 'f32(bitcast<i32>(X[i]))';
    case 'float16':
      return 'f16_to_f32(half_at(i))';
    case 'bfloat16':
      return 'bf16_to_f32(half_at(i))';
  }
}

/**
 * Convert between storage dtypes, parameterised by both. 16-bit outputs are
 * written a word (two elements) per thread so no two threads share a word.
 */
const CAST = shaderTemplate('cast', ({ from, to }: { from: DType; to: DType }) => {
  const value = (i: string) => `val(${i})`;
  let body: string;
  if (to === 'float16' || to === 'bfloat16') {
    const enc = to === 'float16' ? 'f32_to_f16' : 'f32_to_bf16';
    body = `let w = i; if (w >= u.words) { return; }
  let lo = ${enc}(${value('2u * w')});
  var hi = 0u;
  if (2u * w + 1u < u.n) { hi = ${enc}(${value('2u * w + 1u')}); }
  O[w] = lo | (hi << 16u);`;
  } else {
    const store =
      to === 'float32'
        ? `bitcast<u32>(${value('i')})`
        : from === 'int32'
          ? 'X[i]'
          : `bitcast<u32>(f32_to_i32(${value('i')}))`;
    body = `if (i >= u.n) { return; }\n  O[i] = ${store};`;
  }
  return {
    uniforms: [
      ['n', 'u32'],
      ['words', 'u32'],
    ],
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
${HALF}
fn val(i: u32) -> f32 { return ${readValue(from)}; }
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  ${body}
}`,
  };
});

const castKernel = implement(cast, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const x: TensorInfo = inputs[0];
  const to = attrs.dtype;
  const out = output(b, x.shape, to);
  const n = sizeOf(x.shape);
  if (n === 0) return out;
  if (x.dtype === to) {
    b.copyBuffer(
      buf(x, 'cast', 'x'),
      buf(out, 'cast'),
      Math.ceil((n * (to === 'float16' || to === 'bfloat16' ? 2 : 4)) / 4) * 4,
    );
    return out;
  }
  const threads = to === 'float16' || to === 'bfloat16' ? Math.ceil(n / 2) : n;
  b.dispatch({
    shader: CAST,
    params: { from: x.dtype, to },
    uniforms: { n, words: Math.ceil(n / 2) },
    buffers: [buf(x, 'cast', 'x'), buf(out, 'cast')],
    workgroups: grid(Math.ceil(threads / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [castKernel];

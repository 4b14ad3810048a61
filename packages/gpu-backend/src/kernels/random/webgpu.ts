import { philoxKey } from '../../random/philox.js';
import { implement } from '../../registry.js';
import { sizeOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { randomNormal, randomUniform } from './contract.js';
import { assertRandomArgs } from './math.js';

/**
 * Philox4x32-10 in WGSL, following src/random/philox.ts exactly: key from the
 * seed, counter (e / 4, 0, 0, 0) for stream element e, word e % 4 (streams of
 * up to 2^34 elements, which the kernels' offset check keeps to). WGSL has no
 * 32x32 -> 64 multiply, so the high word is assembled from 16-bit halves.
 */
const PHILOX = /* wgsl */ `
fn mulhi(a: u32, b: u32) -> u32 {
  let aLo = a & 0xffffu; let aHi = a >> 16u; let bLo = b & 0xffffu; let bHi = b >> 16u;
  let loLo = aLo * bLo; let hiLo = aHi * bLo; let loHi = aLo * bHi;
  let cross = (loLo >> 16u) + (hiLo & 0xffffu) + (loHi & 0xffffu);
  return aHi * bHi + (hiLo >> 16u) + (loHi >> 16u) + (cross >> 16u);
}
fn philox(counter: u32, key0: u32, key1: u32) -> vec4<u32> {
  var c = vec4<u32>(counter, 0u, 0u, 0u);
  var k0 = key0; var k1 = key1;
  for (var r = 0u; r < 10u; r++) {
    if (r > 0u) { k0 += 0x9e3779b9u; k1 += 0xbb67ae85u; }
    let hi0 = mulhi(0xd2511f53u, c.x); let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi(0xcd9e8d57u, c.z); let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0);
  }
  return c;
}
fn uniform01(word: u32) -> f32 { return f32(word >> 8u) * 5.9604644775390625e-8; }
`;

/** The uniforms every per-element Philox shader starts with: elements, blocks, and the key. */
export const PHILOX_UNIFORMS = [
  ['n', 'u32'],
  ['blocks', 'u32'],
  ['k0', 'u32'],
  ['k1', 'u32'],
] as const;

/**
 * A shader's WGSL with one thread per Philox block (4 elements): `element`
 * runs for each element `e` < u.n with its stream word `w[c]`, after the
 * `bindings` it uses. `counter` is the block's Philox counter (the output's
 * block `blk`, or that plus a uniform offset).
 */
export function perElementOfBlock(bindings: string, element: string, counter = 'blk'): string {
  return /* wgsl */ `${PHILOX}
${bindings}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let blk = ${FLAT_WG} * ${WG}u + lid;
  if (blk >= u.blocks) { return; }
  let w = philox(${counter}, u.k0, u.k1);
  for (var c = 0u; c < 4u; c++) {
    let e = blk * 4u + c;
    if (e < u.n) { ${element} }
  }
}`;
}

const UNIFORM = shaderTemplate('randomUniform', () => ({
  uniforms: [...PHILOX_UNIFORMS, ['low', 'f32'], ['range', 'f32'], ['firstBlock', 'u32']],
  code: perElementOfBlock(
    '@group(0) @binding(1) var<storage, read_write> O: array<f32>;',
    'O[e] = u.low + u.range * uniform01(w[c]);',
    'blk + u.firstBlock',
  ),
}));

/** Box-Muller pairs (2p, 2p + 1) come from one Philox block: one thread per block makes two pairs. */
const NORMAL = shaderTemplate('randomNormal', () => ({
  uniforms: [...PHILOX_UNIFORMS, ['mean', 'f32'], ['stdDev', 'f32'], ['firstBlock', 'u32']],
  code: /* wgsl */ `${PHILOX}
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let blk = ${FLAT_WG} * ${WG}u + lid;
  if (blk >= u.blocks) { return; }
  let w = philox(blk + u.firstBlock, u.k0, u.k1);
  for (var p = 0u; p < 2u; p++) {
    let e = blk * 4u + 2u * p;
    if (e >= u.n) { break; }
    let u1 = 1.0 - uniform01(w[2u * p]);
    let u2 = uniform01(w[2u * p + 1u]);
    let r = sqrt(-2.0 * log(u1));
    // 2 pi u2 folded into [-pi, pi) where GPU sin/cos are accurate.
    let a = 6.283185307179586 * select(u2, u2 - 1.0, u2 >= 0.5);
    O[e] = u.mean + u.stdDev * r * cos(a);
    if (e + 1u < u.n) { O[e + 1u] = u.mean + u.stdDev * r * sin(a); }
  }
}`,
}));

const randomUniformKernel = implement(randomUniform, 'webgpu', ({ inputs, attrs, backend }) => {
  const offset = assertRandomArgs('randomUniform', inputs, attrs);
  const b = gpu(backend);
  const out = output(b, attrs.shape);
  const n = sizeOf(attrs.shape);
  if (n === 0) return out;
  const low = Math.fround(attrs.low ?? 0);
  const range = Math.fround(Math.fround(attrs.high ?? 1) - low);
  const [k0, k1] = philoxKey(attrs.seed);
  const blocks = Math.ceil(n / 4);
  b.dispatch({
    shader: UNIFORM,
    params: {},
    uniforms: { n, blocks, k0, k1, low, range, firstBlock: offset / 4 },
    buffers: [buf(out, 'randomUniform')],
    workgroups: grid(Math.ceil(blocks / WG)),
  });
  return out;
});

const randomNormalKernel = implement(randomNormal, 'webgpu', ({ inputs, attrs, backend }) => {
  const offset = assertRandomArgs('randomNormal', inputs, attrs);
  const b = gpu(backend);
  const out = output(b, attrs.shape);
  const n = sizeOf(attrs.shape);
  if (n === 0) return out;
  const [k0, k1] = philoxKey(attrs.seed);
  const blocks = Math.ceil(n / 4);
  b.dispatch({
    shader: NORMAL,
    params: {},
    uniforms: { n, blocks, k0, k1, mean: attrs.mean ?? 0, stdDev: attrs.std ?? 1, firstBlock: offset / 4 },
    buffers: [buf(out, 'randomNormal')],
    workgroups: grid(Math.ceil(blocks / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [randomUniformKernel, randomNormalKernel];

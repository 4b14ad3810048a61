import { implement } from '../../registry.js';
import { assertDType, fmt, kernelError, sizeOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { rope } from './contract.js';

/**
 * Rotate-half RoPE, one thread per (b, h, t, i < D/2) pair. inv_freq is
 * computed as HF does (float32 theta^(-2i/D)) and the angle pos * inv_freq in
 * float32; the angle is reduced modulo 2 pi in two steps before sin/cos,
 * because GPU sin/cos are only accurate near zero.
 */
const ROPE = shaderTemplate('rope', () => ({
  uniforms: [
    ['n', 'u32'],
    ['H', 'u32'],
    ['T', 'u32'],
    ['half', 'u32'],
    ['log2theta', 'f32'],
    ['sign', 'f32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> P: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let p = ${FLAT_WG} * ${WG}u + lid;
  if (p >= u.n) { return; }
  let i = p % u.half;
  let row = p / u.half;            // (b * H + h) * T + t
  let t = row % u.T;
  let bi = row / (u.T * u.H);
  let invFreq = 1.0 / exp2(f32(2u * i) / f32(2u * u.half) * u.log2theta);
  let ang = f32(P[bi * u.T + t]) * invFreq;
  // ang - k * 2pi with 2pi split into three float32 parts (Cody-Waite).
  let k = round(ang * 0.15915494309189535);
  let r = fma(-k, 1.0253131677018246e-11, fma(-k, 0.0019353071693331003, fma(-k, 6.28125, ang)));
  let c = cos(r);
  let s = sin(r) * u.sign;
  let base = row * 2u * u.half;
  let x1 = X[base + i];
  let x2 = X[base + i + u.half];
  O[base + i] = x1 * c - x2 * s;
  O[base + i + u.half] = x2 * c + x1 * s;
}`,
}));

const ropeKernel = implement(rope, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [x, pos] = inputs;
  assertDType('rope', 'x', x, 'float32');
  if (x.shape.length !== 4) throw kernelError('rope', `x must be [B, H, T, D], got ${fmt(x.shape)}`);
  const [B, H, T, D] = x.shape;
  if (D % 2 !== 0) throw kernelError('rope', `head dim D=${D} of x ${fmt(x.shape)} must be even`);
  if (pos.shape.length !== 2 || pos.shape[0] !== B || pos.shape[1] !== T) {
    throw kernelError('rope', `positions ${fmt(pos.shape)} must be [${B}, ${T}] for x ${fmt(x.shape)}`);
  }
  if (!(attrs.theta > 0)) throw kernelError('rope', `attrs.theta must be a positive number, got ${attrs.theta}`);
  const out = output(b, x.shape);
  const pairs = sizeOf(x.shape) / 2;
  if (pairs === 0) return out;
  b.dispatch({
    shader: ROPE,
    params: {},
    uniforms: {
      n: pairs,
      H,
      T,
      half: D / 2,
      log2theta: Math.log2(attrs.theta),
      sign: attrs.inverse ? -1 : 1,
    },
    buffers: [buf(x, 'rope', 'x'), buf(pos, 'rope', 'positions'), buf(out, 'rope')],
    workgroups: grid(Math.ceil(pairs / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [ropeKernel];

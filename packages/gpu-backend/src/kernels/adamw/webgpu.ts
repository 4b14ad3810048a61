import { implement } from '../../registry.js';
import { assertDType } from '../../shape.js';
import { buf, gpu, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { adamw } from './contract.js';
import { adamwScalars, assertAdamwArgs } from './math.js';

/**
 * PyTorch AdamW, in place: p *= 1 - lr wd; m = b1 m + (1 - b1) g;
 * v = b2 v + (1 - b2) g^2; p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
 * Bias corrections are computed on the host in float64.
 */
const ADAMW = shaderTemplate('adamw', () => ({
  uniforms: [
    ['n', 'u32'],
    ['beta1', 'f32'],
    ['beta2', 'f32'],
    ['decay', 'f32'],
    ['stepSize', 'f32'],
    ['sqrtBc2', 'f32'],
    ['eps', 'f32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> M: array<f32>;
@group(0) @binding(4) var<storage, read_write> V: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  let g = G[i];
  let m = u.beta1 * M[i] + (1.0 - u.beta1) * g;
  let v = u.beta2 * V[i] + (1.0 - u.beta2) * g * g;
  M[i] = m;
  V[i] = v;
  let p = P[i] * u.decay;
  P[i] = p - u.stepSize * m / (sqrt(v) / u.sqrtBc2 + u.eps);
}`,
}));

const NAMES = ['param', 'grad', 'm', 'v'];

const adamwKernel = implement(adamw, 'webgpu', ({ inputs, attrs, backend }) => {
  assertAdamwArgs(inputs, attrs);
  inputs.forEach((t, i) => assertDType('adamw', NAMES[i], t, 'float32'));
  const b = gpu(backend);
  const n = inputs[0].storage.size;
  if (n === 0) return;
  const { decay, stepSize, bc2Sqrt } = adamwScalars(attrs);
  b.dispatch({
    shader: ADAMW,
    params: {},
    uniforms: {
      n,
      beta1: attrs.beta1,
      beta2: attrs.beta2,
      decay,
      stepSize,
      sqrtBc2: bc2Sqrt,
      eps: attrs.eps,
    },
    buffers: inputs.map((t, i) => buf(t, 'adamw', NAMES[i])),
    workgroups: grid(Math.ceil(n / WG)),
  });
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [adamwKernel];

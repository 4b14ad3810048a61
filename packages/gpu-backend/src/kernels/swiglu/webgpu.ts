import { implement } from '../../registry.js';
import { assertDType, assertInputCount, assertSameShape, sizeOf } from '../../shape.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { swiglu, swigluGrad } from './contract.js';

/** y = gate * sigmoid(gate) * up, one thread per element. */
const SWIGLU = shaderTemplate('swiglu', () => ({
  uniforms: [['n', 'u32']],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  let g = G[i];
  Y[i] = g / (1.0 + exp(-g)) * U[i];
}`,
}));

/** dgate = dy up s (1 + gate (1 - s)), dup = dy gate s, s = sigmoid(gate): both outputs from one read of the inputs. */
const SWIGLU_GRAD = shaderTemplate('swigluGrad', () => ({
  uniforms: [['n', 'u32']],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read> U: array<f32>;
@group(0) @binding(4) var<storage, read_write> DG: array<f32>;
@group(0) @binding(5) var<storage, read_write> DU: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  let g = G[i];
  let d = DY[i];
  let s = 1.0 / (1.0 + exp(-g));
  DG[i] = d * U[i] * s * (1.0 + g * (1.0 - s));
  DU[i] = d * g * s;
}`,
}));

const swigluKernel = implement(swiglu, 'webgpu', ({ inputs, backend }) => {
  assertInputCount('swiglu', inputs, 2);
  const [gate, up] = inputs;
  assertSameShape('swiglu', ['gate', 'up'], [gate.shape, up.shape]);
  assertDType('swiglu', 'gate', gate, 'float32');
  assertDType('swiglu', 'up', up, 'float32');
  const b = gpu(backend);
  const out = output(b, gate.shape);
  const n = sizeOf(gate.shape);
  if (n === 0) return out;
  b.dispatch({
    shader: SWIGLU,
    params: {},
    uniforms: { n },
    buffers: [buf(gate, 'swiglu', 'gate'), buf(up, 'swiglu', 'up'), buf(out, 'swiglu')],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
});

const swigluGradKernel = implement(swigluGrad, 'webgpu', ({ inputs, backend }) => {
  assertInputCount('swigluGrad', inputs, 3);
  const [dy, gate, up] = inputs;
  assertSameShape('swigluGrad', ['dy', 'gate', 'up'], [dy.shape, gate.shape, up.shape]);
  for (const [what, t] of [
    ['dy', dy],
    ['gate', gate],
    ['up', up],
  ] as const)
    assertDType('swigluGrad', what, t, 'float32');
  const b = gpu(backend);
  const dgate = output(b, dy.shape);
  const dup = output(b, dy.shape);
  const n = sizeOf(dy.shape);
  if (n === 0) return [dgate, dup];
  b.dispatch({
    shader: SWIGLU_GRAD,
    params: {},
    uniforms: { n },
    buffers: [
      buf(dy, 'swigluGrad', 'dy'),
      buf(gate, 'swigluGrad', 'gate'),
      buf(up, 'swigluGrad', 'up'),
      buf(dgate, 'swigluGrad', 'dgate'),
      buf(dup, 'swigluGrad', 'dup'),
    ],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return [dgate, dup];
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [swigluKernel, swigluGradKernel];

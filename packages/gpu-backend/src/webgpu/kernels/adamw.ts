import type { KernelFunc } from '../../backend.js';
import { adamwScalars, type AdamwAttrs } from '../../kernel-math/adamw.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../program.js';
import { buf, gpu, requireFloat32, requireInputs, sizeOf, WG } from './util.js';

/**
 * PyTorch AdamW, in place: p *= 1 - lr wd; m = b1 m + (1 - b1) g;
 * v = b2 v + (1 - b2) g^2; p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps).
 * Bias corrections are computed on the host in float64.
 */
export const adamw: KernelFunc<AdamwAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 4, 'adamw');
  const b = gpu(backend);
  const names = ['param', 'grad', 'm', 'v'];
  inputs.slice(0, 4).forEach((t, i) => {
    requireFloat32(t, 'adamw', names[i]!);
    if (t.shape.join() !== inputs[0]!.shape.join()) {
      throw new Error(
        `kernel 'adamw': ${names[i]} [${t.shape.join(', ')}] differs from param [${inputs[0]!.shape.join(', ')}]`,
      );
    }
  });
  if (!Number.isInteger(attrs.step) || attrs.step < 1)
    throw new Error(`kernel 'adamw': attrs.step must be an integer >= 1, got ${attrs.step}`);
  const n = sizeOf(inputs[0]!.shape);
  if (n === 0) return;
  const { decay, stepSize, bc2Sqrt } = adamwScalars(attrs);
  b.dispatch({
    name: 'adamw',
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
    params: {
      n: ['u32', n],
      beta1: ['f32', attrs.beta1],
      beta2: ['f32', attrs.beta2],
      decay: ['f32', decay],
      stepSize: ['f32', stepSize],
      sqrtBc2: ['f32', bc2Sqrt],
      eps: ['f32', attrs.eps],
    },
    buffers: inputs.slice(0, 4).map((t, i) => buf(t, 'adamw', names[i])),
    workgroups: grid(Math.ceil(n / WG)),
  });
};

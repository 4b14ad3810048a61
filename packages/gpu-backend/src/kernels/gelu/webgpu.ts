import { implement } from '../../registry.js';
import { assertSameShape } from '../../shape.js';
import { elementwiseShader, runElementwise } from '../../webgpu/elementwise.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { gelu, GELU_C, GELU_K, geluGrad } from './contract.js';

/**
 * t = tanh(u) and s = 1 - t^2 = 4e / (1 + e)^2 with e = exp(-2|u|), u capped
 * at 15 where t is +-1 (some drivers' tanh overflows to NaN past ~44, and a
 * cube that overflows must give +-1); the gradient's second term is dropped
 * there (s < 4e-13). NaN is tested on the bits: compilers may assume no NaN.
 */
const GELU_PRELUDE = /* wgsl */ `
fn gelu_u(x: f32) -> f32 { return ${GELU_C} * (x + ${GELU_K} * x * x * x); }
fn gelu_e(u: f32) -> f32 { return exp(-2.0 * min(abs(u), 15.0)); }
fn gelu_value(x: f32) -> f32 {
  if (f32_is_nan(x)) { return x; }
  let u = gelu_u(x);
  let e = gelu_e(u);
  return 0.5 * x * (1.0 + sign(u) * (1.0 - e) / (1.0 + e));
}
fn gelu_slope(x: f32) -> f32 {
  if (f32_is_nan(x)) { return x; }
  let u = gelu_u(x);
  let e = gelu_e(u);
  let t = sign(u) * (1.0 - e) / (1.0 + e);
  let s = 4.0 * e / ((1.0 + e) * (1.0 + e));
  return 0.5 * (1.0 + t) + select(0.5 * x * s * ${GELU_C} * (1.0 + ${3 * GELU_K} * x * x), 0.0, abs(u) >= 15.0);
}`;

const GELU = elementwiseShader('gelu', () => ({ expr: 'gelu_value(x0)', prelude: GELU_PRELUDE }));

const GELU_GRAD = elementwiseShader('geluGrad', () => ({ expr: 'x0 * gelu_slope(x1)', prelude: GELU_PRELUDE }));

const geluKernel = implement(gelu, 'webgpu', ({ inputs, backend }) =>
  runElementwise(gpu(backend), 'gelu', GELU, {}, inputs),
);

const geluGradKernel = implement(geluGrad, 'webgpu', ({ inputs, backend }) => {
  assertSameShape('geluGrad', ['dy', 'x'], [inputs[0].shape, inputs[1].shape]);
  return runElementwise(gpu(backend), 'geluGrad', GELU_GRAD, {}, inputs);
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [geluKernel, geluGradKernel];

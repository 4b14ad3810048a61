import { implement } from '../../registry.js';
import { elementwiseShader, runElementwise } from '../../webgpu/elementwise.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { siluGrad } from './contract.js';

/** dy * (s + x s (1 - s)), s = sigmoid(x). */
const SILU_GRAD = elementwiseShader('siluGrad', () => ({
  expr: '(x0 * (1.0 / (1.0 + exp(-x1))) * (1.0 + x1 * (1.0 - 1.0 / (1.0 + exp(-x1)))))',
}));

const siluGradKernel = implement(siluGrad, 'webgpu', ({ inputs, backend }) =>
  runElementwise(gpu(backend), 'siluGrad', SILU_GRAD, {}, inputs),
);

/** The webgpu implementations of this folder's kernels. */
export const implementations = [siluGradKernel];

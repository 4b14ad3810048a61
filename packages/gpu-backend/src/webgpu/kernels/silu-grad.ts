import type { KernelFunc } from '../../backend.js';
import { elementwise } from './elementwise.js';
import { gpu, requireInputs } from './util.js';

/** dy * (s + x s (1 - s)), s = sigmoid(x). */
export const siluGrad: KernelFunc = ({ inputs, backend }) => {
  requireInputs(inputs, 2, 'siluGrad');
  const expr = '(x0 * (1.0 / (1.0 + exp(-x1))) * (1.0 + x1 * (1.0 - 1.0 / (1.0 + exp(-x1)))))';
  return elementwise(gpu(backend), 'siluGrad', inputs.slice(0, 2), expr);
};

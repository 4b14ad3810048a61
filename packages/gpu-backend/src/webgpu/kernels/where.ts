import type { KernelFunc } from '../../backend.js';
import { elementwise } from './elementwise.js';
import { gpu, requireInputs } from './util.js';

export const where: KernelFunc = ({ inputs, backend }) => {
  requireInputs(inputs, 3, 'where');
  return elementwise(gpu(backend), 'where', inputs.slice(0, 3), 'select(x2, x1, x0 != 0.0)');
};

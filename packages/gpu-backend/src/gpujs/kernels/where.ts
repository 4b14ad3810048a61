import type { KernelFunc } from '../../backend.js';
import { assertInputCount } from '../../shape.js';
import type { GpujsBackend } from '../backend.js';
import { elementwiseOp, runElementwise } from './elementwise.js';

/** cond ? a : b over three broadcast inputs; nonzero (and NaN) conditions are true. */
const WHERE = elementwiseOp('where', ['cond', 'x', 'y'], 'cond != 0.0 ? x : y');

export const where: KernelFunc = ({ inputs, backend }) => {
  assertInputCount('where', inputs, 3);
  return runElementwise(backend as GpujsBackend, 'where', WHERE, inputs);
};

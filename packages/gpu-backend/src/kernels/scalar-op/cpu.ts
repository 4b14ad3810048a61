import { BINARY_OPS } from '../binary/contract.js';
import { implement } from '../../registry.js';
import { scalarOp } from './contract.js';
import { assertInputCount, kernelError } from '../../shape.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { binaryRow } from '../binary/cpu.js';

/** op(x, scalar) or op(scalar, x); the scalar is rounded to float32 first, as a device uniform would be. */
const scalarOpKernel = implement(scalarOp, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('scalarOp', inputs, 1);
  if (!BINARY_OPS.includes(attrs.op)) {
    throw kernelError('scalarOp', `attrs.op must be one of ${BINARY_OPS.join(', ')}, got '${String(attrs.op)}'`);
  }
  if (typeof attrs.scalar !== 'number')
    throw kernelError('scalarOp', `attrs.scalar must be a number, got ${String(attrs.scalar)}`);
  const [x] = inputs;
  const xs = floatInput(backend, x, 'scalarOp');
  const scalar = new Float32Array([attrs.scalar]);
  const out = writtenFloatOutput(backend, x.shape);
  if (attrs.reverse) binaryRow(attrs.op, scalar, 0, 0, xs, 0, 1, out.data, 0, xs.length);
  else binaryRow(attrs.op, xs, 0, 1, scalar, 0, 0, out.data, 0, xs.length);
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [scalarOpKernel];

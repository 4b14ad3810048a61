import { implement } from '../../registry.js';
import { scalarOp } from './contract.js';
import type { BinaryOp } from '../binary/contract.js';
import { assertInputCount, kernelError } from '../../shape.js';
import type { GpujsBackend } from '../../gpujs/backend.js';
import { BINARY_EXPRESSIONS } from '../binary/gpujs.js';
import { elementwiseOp, runElementwise, type ElementwiseOp } from '../../gpujs/elementwise.js';

/** op(x, scalar), or op(scalar, x) when reversed: the binary expression with the scalar as a kernel argument. */
const SCALAR_OPS = new Map<BinaryOp, ElementwiseOp>(
  (Object.keys(BINARY_EXPRESSIONS) as BinaryOp[]).map((op) => [
    op,
    elementwiseOp(
      `scalar_${op}`,
      ['v'],
      BINARY_EXPRESSIONS[op],
      [
        ['scalar', 'Float'],
        ['reverse', 'Integer'],
      ],
      'const x = reverse > 0 ? scalar : v;\nconst y = reverse > 0 ? v : scalar;',
    ),
  ]),
);

const scalarOpKernel = implement(scalarOp, 'gpujs', ({ inputs, attrs, backend }) => {
  assertInputCount('scalarOp', inputs, 1);
  const op = SCALAR_OPS.get(attrs.op);
  if (!op)
    throw kernelError(
      'scalarOp',
      `unknown op '${String(attrs.op)}' (expected one of ${[...SCALAR_OPS.keys()].join(', ')})`,
    );
  if (typeof attrs.scalar !== 'number')
    throw kernelError('scalarOp', `attrs.scalar must be a number, got ${String(attrs.scalar)}`);
  return runElementwise(backend as GpujsBackend, 'scalarOp', op, inputs, [attrs.scalar, attrs.reverse ? 1 : 0]);
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [scalarOpKernel];

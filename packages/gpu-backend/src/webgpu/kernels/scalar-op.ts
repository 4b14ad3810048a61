import type { KernelFunc } from '../../backend.js';
import { BINARY_OPS } from '../../kernel-spec.js';
import type { ScalarOpAttrs } from '../../kernel-attrs.js';
import { binaryExpr, JS_POW } from './binary.js';
import { elementwise } from './elementwise.js';
import { gpu, requireInputs } from './util.js';

export const scalarOp: KernelFunc<ScalarOpAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 1, 'scalarOp');
  if (!BINARY_OPS.includes(attrs.op)) throw new Error(`kernel 'scalarOp': unknown op '${String(attrs.op)}'`);
  if (typeof attrs.scalar !== 'number') throw new Error(`kernel 'scalarOp': attrs.scalar must be a number`);
  const expr = attrs.reverse ? binaryExpr(attrs.op, 'u.scalar', 'x0') : binaryExpr(attrs.op, 'x0', 'u.scalar');
  return elementwise(
    gpu(backend),
    'scalarOp',
    inputs.slice(0, 1),
    expr,
    { scalar: ['f32', attrs.scalar] },
    attrs.op === 'pow' ? JS_POW : '',
  );
};

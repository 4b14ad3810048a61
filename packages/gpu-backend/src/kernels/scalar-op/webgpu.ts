import { implement } from '../../registry.js';
import { elementwiseShader, runElementwise } from '../../webgpu/elementwise.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { binaryExpr, JS_POW } from '../binary/webgpu.js';
import type { BinaryOp } from '../binary/contract.js';
import { scalarOp } from './contract.js';

/** op(x, scalar) or op(scalar, x): the binary expression with the scalar as a uniform. */
const SCALAR_OP = elementwiseShader('scalarOp', ({ op, reverse }: { op: BinaryOp; reverse: boolean }) => ({
  expr: reverse ? binaryExpr(op, 'u.scalar', 'x0') : binaryExpr(op, 'x0', 'u.scalar'),
  prelude: op === 'pow' ? JS_POW : '',
  uniforms: [['scalar', 'f32']],
}));

const scalarOpKernel = implement(scalarOp, 'webgpu', ({ inputs, attrs, backend }) =>
  runElementwise(gpu(backend), 'scalarOp', SCALAR_OP, { op: attrs.op, reverse: attrs.reverse === true }, inputs, {
    scalar: attrs.scalar,
  }),
);

/** The webgpu implementations of this folder's kernels. */
export const implementations = [scalarOpKernel];

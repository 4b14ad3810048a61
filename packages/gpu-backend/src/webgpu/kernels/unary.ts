import type { KernelFunc } from '../../backend.js';
import type { UnaryOp } from '../../kernel-spec.js';
import { elementwise } from './elementwise.js';
import { gpu, requireInputs } from './util.js';

export function unaryExpr(op: UnaryOp, x: string): string {
  switch (op) {
    case 'neg':
      return `(-${x})`;
    case 'abs':
      return `abs(${x})`;
    case 'exp':
      return `exp(${x})`;
    case 'log':
      return `select(log(${x}), -f32_inf(), ${x} == 0.0)`;
    case 'sqrt':
      return `sqrt(${x})`;
    case 'rsqrt':
      return `(1.0 / sqrt(${x}))`;
    case 'square':
      return `(${x} * ${x})`;
    case 'reciprocal':
      return `(1.0 / ${x})`;
    case 'silu':
      return `(${x} / (1.0 + exp(-${x})))`;
    case 'sigmoid':
      return `(1.0 / (1.0 + exp(-${x})))`;
    // Clamped: some drivers compute tanh from exp and overflow to NaN past |x| ~ 44.
    case 'tanh':
      return `select(tanh(clamp(${x}, -15.0, 15.0)), ${x}, f32_is_nan(${x}))`;
    case 'relu':
      return `select(select(0.0, ${x}, ${x} > 0.0), ${x}, f32_is_nan(${x}))`;
    case 'isNaN':
      return `select(0.0, 1.0, f32_is_nan(${x}))`;
    case 'isInf':
      return `select(0.0, 1.0, f32_is_inf(${x}))`;
    default:
      throw new Error(`unknown unary op '${String(op)}'`);
  }
}

export function unaryKernel(op: UnaryOp): KernelFunc {
  return ({ inputs, backend }) => {
    requireInputs(inputs, 1, op);
    return elementwise(gpu(backend), op, inputs.slice(0, 1), unaryExpr(op, 'x0'));
  };
}

import { implement } from '../../registry.js';
import { elementwiseShader, runElementwise } from '../../webgpu/elementwise.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { contracts, UNARY_OPS, type UnaryOp } from './contract.js';

/** WGSL for `op(x)` on an f32 value. */
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
      throw new Error(`unknown unary op '${String(op)}' (expected one of ${UNARY_OPS.join(', ')})`);
  }
}

/** One template for every unary op, parameterised by the op. */
const UNARY = elementwiseShader('unary', ({ op }: { op: UnaryOp }) => ({ expr: unaryExpr(op, 'x0') }));

/** The webgpu implementations of this folder's kernels. */
export const implementations = contracts.map((contract) =>
  implement(contract, 'webgpu', ({ inputs, backend }) =>
    runElementwise(gpu(backend), contract.name, UNARY, { op: contract.name }, inputs),
  ),
);

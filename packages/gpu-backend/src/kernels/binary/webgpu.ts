import { implement } from '../../registry.js';
import { elementwiseShader, runElementwise } from '../../webgpu/elementwise.js';
import { gpu } from '../../webgpu/kernel-util.js';
import { BINARY_OPS, contracts, type BinaryOp } from './contract.js';

/** JavaScript's Math.pow semantics (negative bases with integral exponents, 0^-y = inf). */
export const JS_POW = /* wgsl */ `
fn js_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (f32_is_nan(a) || f32_is_nan(b)) { return f32_nan(); }
  let m = abs(a);
  var r: f32;
  if (m == 0.0) { r = select(f32_inf(), 0.0, b > 0.0); }
  else if (f32_is_inf(m)) { r = select(0.0, f32_inf(), b > 0.0); }
  else { r = exp2(b * log2(m)); }
  if (a < 0.0) {
    if (floor(b) != b) { return f32_nan(); }
    if (abs(b) < 16777216.0 && (abs(b) % 2.0) == 1.0) { r = -r; }
  }
  return r;
}
`;

/** WGSL for `a op b` on f32 values. */
export function binaryExpr(op: BinaryOp, a: string, b: string): string {
  switch (op) {
    case 'add':
      return `(${a} + ${b})`;
    case 'sub':
      return `(${a} - ${b})`;
    case 'mul':
      return `(${a} * ${b})`;
    case 'div':
      return `(${a} / ${b})`;
    case 'maximum':
      return `select(max(${a}, ${b}), f32_nan(), f32_is_nan(${a}) || f32_is_nan(${b}))`;
    case 'minimum':
      return `select(min(${a}, ${b}), f32_nan(), f32_is_nan(${a}) || f32_is_nan(${b}))`;
    case 'pow':
      return `js_pow(${a}, ${b})`;
    case 'equal':
      return `select(0.0, 1.0, ${a} == ${b})`;
    case 'notEqual':
      return `select(0.0, 1.0, !(${a} == ${b}))`;
    case 'greater':
      return `select(0.0, 1.0, ${a} > ${b})`;
    case 'greaterEqual':
      return `select(0.0, 1.0, ${a} >= ${b})`;
    case 'less':
      return `select(0.0, 1.0, ${a} < ${b})`;
    case 'lessEqual':
      return `select(0.0, 1.0, ${a} <= ${b})`;
    default:
      throw new Error(`unknown binary op '${String(op)}' (expected one of ${BINARY_OPS.join(', ')})`);
  }
}

/** One template for every binary op, parameterised by the op. */
const BINARY = elementwiseShader('binary', ({ op }: { op: BinaryOp }) => ({
  expr: binaryExpr(op, 'x0', 'x1'),
  prelude: op === 'pow' ? JS_POW : '',
}));

/** The webgpu implementations of this folder's kernels. */
export const implementations = contracts.map((contract) =>
  implement(contract, 'webgpu', ({ inputs, backend }) =>
    runElementwise(gpu(backend), contract.name, BINARY, { op: contract.name }, inputs),
  ),
);

import { expf } from '../../cpu/expf.js';
import { implement } from '../../registry.js';
import { UNARY_OPS, contracts, type UnaryOp } from './contract.js';
import { assertInputCount } from '../../shape.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { simdExp } from '../../cpu/simd/exp.js';

/** From this length on, exp runs in WebAssembly SIMD (below it the copy and the call cost more than they save). */
export const SIMD_EXP_MIN = 64;

/** out[i] = op(x[i]); one loop per op. sigmoid/silu use the form that cannot overflow. */
export function unaryLoop(op: UnaryOp, x: Float32Array, out: Float32Array): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      return;
    case 'exp':
      if (n >= SIMD_EXP_MIN) simdExp(x, out);
      else for (let i = 0; i < n; i++) out[i] = expf(x[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return;
    case 'rsqrt':
      for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]);
      return;
    case 'square':
      for (let i = 0; i < n; i++) out[i] = x[i] * x[i];
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) out[i] = 1 / x[i];
      return;
    case 'silu':
      for (let i = 0; i < n; i++) out[i] = x[i] * sigmoid(x[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : x[i] !== x[i] ? x[i] : 0;
      return;
    case 'isNaN':
      for (let i = 0; i < n; i++) out[i] = x[i] !== x[i] ? 1 : 0;
      return;
    case 'isInf':
      for (let i = 0; i < n; i++) out[i] = x[i] === Infinity || x[i] === -Infinity ? 1 : 0;
      return;
    default:
      throw new Error(`unknown unary op '${String(op)}' (expected one of ${UNARY_OPS.join(', ')})`);
  }
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + expf(-x));
  const e = expf(x);
  return e / (1 + e);
}

/** The cpu implementations of this folder's kernels. */
export const implementations = contracts.map((contract) => {
  const op = contract.name;
  return implement(contract, 'cpu', ({ inputs, backend }) => {
    assertInputCount(op, inputs, 1);
    const [x] = inputs;
    const out = writtenFloatOutput(backend, x.shape);
    unaryLoop(op, floatInput(backend, x, op), out.data);
    return out.info;
  });
});

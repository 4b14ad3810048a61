/**
 * Elementwise ops: broadcasting binary arithmetic and comparisons, scalar
 * operands (the scalarOp kernel) and unary math, each with its gradient.
 * Gradients of broadcast inputs are summed back to the input's shape.
 */
import type { BinaryOp, UnaryOp } from '@molrl/gpu-backend';
import { broadcastAxes, broadcastShapes, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertFloat, needsGrad, record, run1, viewOf } from './core.js';
import { fill } from './creation.js';
import { where } from './indexing.js';
import { sum } from './reduce.js';

/** A tensor or a plain number (applied with the scalarOp kernel, no broadcast tensor made). */
export type Operand = Tensor | number;

const COMPARISONS = new Set<BinaryOp>(['equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual']);

/** Sum a gradient over the axes that were broadcast, back to `shape`. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const axes = broadcastAxes(g.shape, shape);
  const s = axes.length ? sum(g, axes, { keepDims: true }) : g;
  return sameShape(s.shape, shape) ? s : viewOf(s, shape, 'reshape');
}

function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  if (typeof a === 'number') {
    if (typeof b === 'number') throw new Error(`${op}: at least one operand must be a tensor`);
    return scalarOp(op, b, a, true);
  }
  if (typeof b === 'number') return scalarOp(op, a, b, false);
  assertFloat(op, a, b);
  broadcastShapes(a.shape, b.shape, op);
  const out = run1(op, op, [a, b]);
  if (COMPARISONS.has(op) || !needsGrad(a, b)) return out;
  const aShape = a.shape;
  const bShape = b.shape;
  const needA = a.requiresGrad;
  const needB = b.requiresGrad;
  switch (op) {
    case 'add':
      record(op, [a, b], [out], [], ([dy]) => [sumToShape(dy!, aShape), sumToShape(dy!, bShape)]);
      break;
    case 'sub':
      record(op, [a, b], [out], [], ([dy]) => [sumToShape(dy!, aShape), needB ? sumToShape(neg(dy!), bShape) : null]);
      break;
    case 'mul':
      // Keep b only for dA and a only for dB.
      record(op, [a, b], [out], needA && needB ? [a, b] : needA ? [b] : [a], ([dy], saved) => {
        const sb = needA ? saved[needB ? 1 : 0] : undefined;
        const sa = needB ? saved[0] : undefined;
        return [needA ? sumToShape(mul(dy!, sb!), aShape) : null, needB ? sumToShape(mul(dy!, sa!), bShape) : null];
      });
      break;
    case 'div':
      record(op, [a, b], [out], needB ? [a, b] : [b], ([dy], saved) => {
        const sb = needB ? saved[1]! : saved[0]!;
        return [
          needA ? sumToShape(div(dy!, sb), aShape) : null,
          needB ? sumToShape(neg(div(mul(dy!, saved[0]!), square(sb))), bShape) : null,
        ];
      });
      break;
    case 'maximum':
    case 'minimum': {
      // As torch.maximum/minimum: the side that loses gets 0, a tie gives each
      // side half, and where either side is NaN both get dy. The weights are 0,
      // 0.5 or 1, so dy * weight is exact.
      const losesA = op === 'maximum' ? less : greater;
      const losesB = op === 'maximum' ? greater : less;
      record(op, [a, b], [out], [a, b], ([dy], [sa, sb]) => {
        const halfTie = mul(equal(sa!, sb!), 0.5);
        const weight = (loses: typeof less) => sub(sub(1, loses(sa!, sb!)), halfTie);
        return [
          needA ? sumToShape(mul(dy!, weight(losesA)), aShape) : null,
          needB ? sumToShape(mul(dy!, weight(losesB)), bShape) : null,
        ];
      });
      break;
    }
    case 'pow':
      // PyTorch's masks: no gradient to a where b == 0 (0^0 included), none to
      // b where a == 0 and b >= 0 (where a^b log(a) is 0 * -inf).
      record(op, [a, b], [out], [a, b, out], ([dy], [sa, sb, so]) => [
        needA
          ? sumToShape(where(equal(sb!, 0), 0, mul(dy!, mul(sb!, pow(sa!, scalarOp('sub', sb!, 1, false))))), aShape)
          : null,
        needB
          ? sumToShape(mul(dy!, where(mul(equal(sa!, 0), greaterEqual(sb!, 0)), 0, mul(so!, log(sa!)))), bShape)
          : null,
      ]);
      break;
    default:
      throw new Error(`${op}: no gradient defined`);
  }
  return out;
}

function scalarOp(op: BinaryOp, x: Tensor, s: number, reverse: boolean): Tensor {
  assertFloat(op, x);
  const out = run1(op, 'scalarOp', [x], { op, scalar: s, reverse });
  if (COMPARISONS.has(op) || !needsGrad(x)) return out;
  switch (op) {
    case 'add':
      record(op, [x], [out], [], ([dy]) => [dy]);
      break;
    case 'sub':
      record(op, [x], [out], [], ([dy]) => [reverse ? neg(dy!) : dy]);
      break;
    case 'mul':
      record(op, [x], [out], [], ([dy]) => [scalarOp('mul', dy!, s, false)]);
      break;
    case 'div':
      if (reverse) record(op, [x], [out], [x, out], ([dy], [sx, so]) => [neg(div(mul(dy!, so!), sx!))]);
      else record(op, [x], [out], [], ([dy]) => [scalarOp('div', dy!, s, false)]);
      break;
    case 'pow':
      // As PyTorch: 0 ** x has no gradient where x >= 0 (0 * log 0 there), and x ** 0 none at all.
      if (reverse && s === 0)
        record(op, [x], [out], [x, out], ([dy], [sx, so]) => [
          mul(dy!, where(scalarOp('greaterEqual', sx!, 0, false), 0, scalarOp('mul', so!, Math.log(s), false))),
        ]);
      else if (reverse)
        record(op, [x], [out], [out], ([dy], [so]) => [scalarOp('mul', mul(dy!, so!), Math.log(s), false)]);
      else if (s === 0) {
        const shape = x.shape;
        record(op, [x], [out], [], () => [fill(shape, 0)]);
      } else
        record(op, [x], [out], [x], ([dy], [sx]) => [
          mul(dy!, scalarOp('mul', scalarOp('pow', sx!, s - 1, false), s, false)),
        ]);
      break;
    case 'maximum':
    case 'minimum': {
      const keep: BinaryOp = op === 'maximum' ? 'greaterEqual' : 'lessEqual';
      record(op, [x], [out], [x], ([dy], [sx]) => [mul(dy!, scalarOp(keep, sx!, s, false))]);
      break;
    }
    default:
      throw new Error(`${op}: no gradient defined for a scalar operand`);
  }
  return out;
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);
export const equal = (a: Operand, b: Operand): Tensor => binary('equal', a, b);
export const notEqual = (a: Operand, b: Operand): Tensor => binary('notEqual', a, b);
export const greater = (a: Operand, b: Operand): Tensor => binary('greater', a, b);
export const greaterEqual = (a: Operand, b: Operand): Tensor => binary('greaterEqual', a, b);
export const less = (a: Operand, b: Operand): Tensor => binary('less', a, b);
export const lessEqual = (a: Operand, b: Operand): Tensor => binary('lessEqual', a, b);

function unary(op: UnaryOp, x: Tensor): Tensor {
  assertFloat(op, x);
  const out = run1(op, op, [x]);
  if (!needsGrad(x)) return out;
  switch (op) {
    case 'neg':
      record(op, [x], [out], [], ([dy]) => [neg(dy!)]);
      break;
    case 'abs':
      record(op, [x], [out], [x], ([dy], [sx]) => [mul(dy!, sub(greater(sx!, 0), less(sx!, 0)))]);
      break;
    case 'exp':
      record(op, [x], [out], [out], ([dy], [so]) => [mul(dy!, so!)]);
      break;
    case 'log':
      record(op, [x], [out], [x], ([dy], [sx]) => [div(dy!, sx!)]);
      break;
    case 'sqrt':
      record(op, [x], [out], [out], ([dy], [so]) => [div(mul(dy!, 0.5), so!)]);
      break;
    case 'rsqrt':
      record(op, [x], [out], [out], ([dy], [so]) => [mul(mul(dy!, -0.5), mul(so!, square(so!)))]);
      break;
    case 'square':
      record(op, [x], [out], [x], ([dy], [sx]) => [mul(dy!, mul(sx!, 2))]);
      break;
    case 'reciprocal':
      record(op, [x], [out], [out], ([dy], [so]) => [neg(mul(dy!, square(so!)))]);
      break;
    case 'silu':
      record(op, [x], [out], [x], ([dy], [sx]) => [run1('siluGrad', 'siluGrad', [dy!, sx!])]);
      break;
    case 'sigmoid':
      record(op, [x], [out], [out], ([dy], [so]) => [mul(dy!, mul(so!, sub(1, so!)))]);
      break;
    case 'tanh':
      record(op, [x], [out], [out], ([dy], [so]) => [mul(dy!, sub(1, square(so!)))]);
      break;
    case 'relu':
      // 1 - (x <= 0): dy passes at NaN, as in PyTorch.
      record(op, [x], [out], [x], ([dy], [sx]) => [mul(dy!, sub(1, lessEqual(sx!, 0)))]);
      break;
    default:
      break; // isNaN / isInf: piecewise constant, no gradient
  }
  return out;
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
export const silu = (x: Tensor): Tensor => unary('silu', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const isNaN = (x: Tensor): Tensor => unary('isNaN', x);
export const isInf = (x: Tensor): Tensor => unary('isInf', x);

/**
 * GELU in its tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as
 * torch.nn.functional.gelu(x, approximate='tanh') (GPT-2's activation); the
 * gradient is the geluGrad kernel.
 */
export function gelu(x: Tensor): Tensor {
  assertFloat('gelu', x);
  const out = run1('gelu', 'gelu', [x]);
  if (needsGrad(x)) record('gelu', [x], [out], [x], ([dy], [sx]) => [run1('geluGrad', 'geluGrad', [dy!, sx!])]);
  return out;
}

/** Clamp into [low, high] (either bound may be left out); the gradient passes where x is inside. */
export function clamp(x: Tensor, low?: number, high?: number): Tensor {
  if (low !== undefined && high !== undefined && low > high) throw new Error(`clamp: low ${low} is above high ${high}`);
  let y = x;
  if (high !== undefined) y = minimum(y, high);
  if (low !== undefined) {
    const lowered = maximum(y, low);
    if (y !== x) y.dispose();
    y = lowered;
  }
  return y === x ? scalarOp('mul', x, 1, false) : y;
}

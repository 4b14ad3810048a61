/** Reductions over axes (sum, mean, max, min, logSumExp, argmax) with gradients. */
import { fmt, normAxes, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, needsGrad, record, run1, viewOf } from './core.js';
import { zeros } from './creation.js';
import { add, div, equal, exp, mul, neg, sub } from './elementwise.js';

export interface ReduceOptions {
  /** Keep reduced axes as size 1. */
  keepDims?: boolean;
}

/** The shape of `shape` with `axes` set to 1 (a keepDims result). */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  const s = shape.slice();
  for (const a of axes) s[a] = 1;
  return s;
}

/** dy of a reduction, as a tensor broadcast to the input's shape. */
export function expandGrad(dy: Tensor, inputShape: readonly number[], axes: readonly number[]): Tensor {
  const keep = viewOf(dy, keptShape(inputShape, axes), 'reshape');
  return add(zeros(inputShape), keep);
}

function reduce(
  op: 'sum' | 'mean' | 'max',
  x: Tensor,
  axes: number | readonly number[] | undefined,
  options: ReduceOptions,
): Tensor {
  assertFloat(op, x);
  const ax = normAxes(axes, x.rank, op);
  const keepDims = options.keepDims === true;
  const out = run1(op, op, [x], { axes: ax, keepDims });
  if (!needsGrad(x)) return out;
  const shape = x.shape;
  if (op === 'sum') {
    record(op, [x], [out], [], ([dy]) => [expandGrad(dy!, shape, ax)]);
  } else if (op === 'mean') {
    let n = 1;
    for (const a of ax) n *= shape[a]!;
    record(op, [x], [out], [], ([dy]) => [div(expandGrad(dy!, shape, ax), n)]);
  } else {
    // Ties share the gradient equally (as torch.amax does).
    record(op, [x], [out], [x, out], ([dy], [sx, so]) => {
      const mask = equal(sx!, viewOf(so!, keptShape(shape, ax), 'reshape'));
      const count = run1('sum', 'sum', [mask], { axes: ax, keepDims: true });
      return [mul(mask, div(viewOf(dy!, keptShape(shape, ax), 'reshape'), count))];
    });
  }
  return out;
}

/** Sum over `axes` (all axes when left out). */
export function sum(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  return reduce('sum', x, axes, options);
}

export function mean(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  return reduce('mean', x, axes, options);
}

/** The maximum or minimum of no values is undefined: refuse an empty reduced axis (as torch.amax/amin). */
function assertNonEmptyAxes(op: 'max' | 'min', x: Tensor, axes: number | readonly number[] | undefined): void {
  for (const a of normAxes(axes, x.rank, op)) {
    if (x.shape[a] === 0) {
      throw new Error(
        `${op}: axis ${a} of ${fmt(x.shape)} is empty: no ${op === 'max' ? 'maximum' : 'minimum'} to find`,
      );
    }
  }
}

export function max(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  assertNonEmptyAxes('max', x, axes);
  return reduce('max', x, axes, options);
}

export function min(x: Tensor, axes?: number | readonly number[], options: ReduceOptions = {}): Tensor {
  assertNonEmptyAxes('min', x, axes);
  return neg(reduce('max', neg(x), axes, options));
}

/** int32 index of the first maximum along `axis` (axis removed). No gradient. */
export function argmax(x: Tensor, axis = -1): Tensor {
  assertFloat('argmax', x);
  return run1('argmax', 'argmax', [x], { axis: normAxis(axis, x.rank, 'argmax') });
}

/** log(sum(exp(x))) along `axis`, computed stably. */
export function logSumExp(x: Tensor, axis = -1, options: ReduceOptions = {}): Tensor {
  assertFloat('logSumExp', x);
  const a = normAxis(axis, x.rank, 'logSumExp');
  const keepDims = options.keepDims === true;
  const out = run1('logSumExp', 'logSumExp', [x], { axis: a, keepDims });
  if (!needsGrad(x)) return out;
  const shape = x.shape;
  record('logSumExp', [x], [out], [x, out], ([dy], [sx, so]) => {
    const ks = keptShape(shape, [a]);
    const p = exp(sub(sx!, viewOf(so!, ks, 'reshape')));
    return [mul(p, viewOf(dy!, ks, 'reshape'))];
  });
  return out;
}

import type { Backend, TensorInfo } from '../backend.js';
import { assertSameShape, normalizeAxis, splitAtAxis } from '../shape.js';
import { floatInput, output, type Output } from './host.js';
import type { HostArray } from './storage.js';

/**
 * The row-wise kernels of the cpu backend (the softmax family, argmax,
 * rmsNorm) see their inputs as rows along one axis: an [outer, n, inner]
 * view whose row r holds the n elements base(r), base(r) + inner, ...
 * `rowsOf` does what they share (the axis, the shapes, the float32 views, the
 * output) and leaves each kernel one loop over its rows, so the per-element
 * loops stay in the kernel, tight and monomorphic.
 */
export interface Rows {
  /** Number of rows (outer * inner). */
  count: number;
  /** Elements per row. */
  n: number;
  /** Distance between a row's consecutive elements: 1 along the last axis. */
  stride: number;
}

/** Offset of the first element of row r. */
export function rowBase(rows: Rows, r: number): number {
  const { n, stride } = rows;
  if (stride === 1) return r * n;
  const o = Math.floor(r / stride);
  return o * n * stride + (r - o * stride);
}

/** The output of a row-wise kernel: the inputs' shape, or one element per row (the axis removed or kept as 1). */
export type RowOutput = 'same' | 'perRow' | 'perRowKeepDims';

export interface RowsOf<T extends HostArray> {
  rows: Rows;
  /** Each input as float32 (no copy for a float32 storage: never write to it). */
  x: Float32Array[];
  out: Output<T>;
}

/**
 * Rows of `inputs` (all of one shape) along `axis`, their float32 data and a
 * new output, checked and named after `kernel`.
 */
export function rowsOf<T extends HostArray = Float32Array>(
  kernel: string,
  backend: Backend,
  inputs: readonly TensorInfo[],
  axis: number,
  result: RowOutput,
  options: { names?: string[]; dtype?: 'float32' | 'int32' } = {},
): RowsOf<T> {
  const shape = inputs[0].shape;
  const x: Float32Array[] = [];
  for (let i = 0; i < inputs.length; i++) {
    if (i > 0) {
      const names = options.names ? [options.names[0], options.names[i]] : ['input 0', `input ${i}`];
      assertSameShape(kernel, names, [shape, inputs[i].shape]);
    }
    x.push(floatInput(backend, inputs[i], kernel));
  }
  const a = normalizeAxis(kernel, axis, shape.length);
  const { outer, n, inner } = splitAtAxis(shape, a);
  const outShape =
    result === 'same'
      ? shape
      : result === 'perRow'
        ? shape.filter((_, i) => i !== a)
        : shape.map((d, i) => (i === a ? 1 : d));
  return {
    rows: { count: outer * inner, n, stride: inner },
    x,
    // Every kernel on rows writes each of its rows whole: the output is not zeroed first.
    out: output(backend, outShape, options.dtype ?? 'float32', false) as Output<T>,
  };
}

/**
 * Shape arithmetic shared by every backend, so that all of them validate
 * inputs identically and report errors that name the kernel and the shapes.
 */
import type { DType } from './dtype.js';
import { kernelError } from './errors.js';

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export { kernelError } from './errors.js';

export function assertShape(kernel: string, what: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw kernelError(kernel, `${what} ${fmt(shape)} has an invalid dimension ${d}`);
  }
}

/** Resolve a possibly negative axis against `rank`. */
export function normalizeAxis(kernel: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw kernelError(kernel, `axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Sorted, de-duplicated, non-negative axes. */
export function normalizeAxes(kernel: string, axes: readonly number[], rank: number): number[] {
  if (!Array.isArray(axes)) throw kernelError(kernel, `attrs.axes must be an array of integers, got ${String(axes)}`);
  const out = [...new Set(axes.map((a) => normalizeAxis(kernel, a, rank)))];
  return out.sort((a, b) => a - b);
}

/** NumPy broadcasting of any number of shapes. */
export function broadcastShapes(kernel: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && d !== dim) {
        throw kernelError(kernel, `shapes ${shapes.map(fmt).join(' and ')} are not broadcastable`);
      }
      dim = d;
    }
    out[i] = dim;
  }
  return out;
}

/** Strides of `shape` viewed in the broadcast `outShape` (0 along broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const j = i - offset;
    if (j < 0 || shape[j] === 1) return 0;
    return strides[j];
  });
}

export interface MatmulShape {
  batchShape: number[];
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

export function matmulShape(
  a: readonly number[],
  b: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatmulShape {
  if (a.length < 2 || b.length < 2) {
    throw kernelError('matmul', `inputs must have rank >= 2, got a ${fmt(a)} and b ${fmt(b)}`);
  }
  const m = transposeA ? a[a.length - 1] : a[a.length - 2];
  const ka = transposeA ? a[a.length - 2] : a[a.length - 1];
  const kb = transposeB ? b[b.length - 1] : b[b.length - 2];
  const n = transposeB ? b[b.length - 2] : b[b.length - 1];
  if (ka !== kb) {
    throw kernelError(
      'matmul',
      `inner dimensions differ: a ${fmt(a)}${transposeA ? ' (transposed)' : ''} has K=${ka}, b ${fmt(b)}${transposeB ? ' (transposed)' : ''} has K=${kb}`,
    );
  }
  const batchShape = broadcastShapes('matmul', a.slice(0, -2), b.slice(0, -2));
  return { batchShape, m, n, k: ka, outShape: [...batchShape, m, n] };
}

/** Output shape of a reduction over sorted axes. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

/** [outer, n, inner] view of `shape` around `axis`. */
export function splitAtAxis(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), n: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertSameShape(kernel: string, names: string[], shapes: (readonly number[])[]): void {
  for (let i = 1; i < shapes.length; i++) {
    if (!sameShape(shapes[0], shapes[i])) {
      throw kernelError(
        kernel,
        `${names[0]} ${fmt(shapes[0])} and ${names[i]} ${fmt(shapes[i])} must have the same shape`,
      );
    }
  }
}

/** A storage dtype a kernel requires of one of its inputs (`what`: 'x', 'weight', ...). */
export function assertDType(kernel: string, what: string, info: { readonly dtype: DType }, dtype: DType): void {
  if (info.dtype !== dtype) throw kernelError(kernel, `${what} must be ${dtype}, got ${info.dtype}`);
}

export function assertInputCount(kernel: string, inputs: readonly unknown[], min: number, max = min): void {
  if (inputs.length < min || inputs.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw kernelError(kernel, `expected ${expected} inputs, got ${inputs.length}`);
  }
}

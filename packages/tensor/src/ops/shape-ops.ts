/**
 * Layout ops. reshape/squeeze/unsqueeze are views (no copy: the new tensor
 * shares the reference-counted storage); transpose, slice and concat copy
 * through their kernels (a transpose that moves no element is a view).
 */
import { fmt, normAxis, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { needsGrad, record, run1, viewOf } from './core.js';
import { zeros } from './creation.js';
import { add } from './elementwise.js';

/** A view with another shape (one dim may be -1). Shares storage with x. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive('reshape');
  const target = shape.slice();
  const free = target.indexOf(-1);
  if (free !== -1) {
    if (target.indexOf(-1, free + 1) !== -1) throw new Error(`reshape: only one dim may be -1, got ${fmt(shape)}`);
    const rest = sizeOf(target.filter((_, i) => i !== free));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`reshape: cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
    target[free] = x.size / rest;
  }
  if (target.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(target) !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  const out = viewOf(x, target, 'reshape');
  if (needsGrad(x)) {
    const inShape = x.shape;
    record('reshape', [x], [out], [], ([dy]) => [viewOf(dy!, inShape, 'reshape')]);
  }
  return out;
}

/** Remove size-1 `axis` (or all size-1 axes). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis(axis, x.rank, 'squeeze');
  if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${axis} of ${fmt(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}

/** Insert a size-1 axis at `axis` (negative counts from the end of the result). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.rank + 1, 'unsqueeze');
  const s = x.shape.slice();
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/**
 * Permute axes (default: reverse them). A permutation that keeps the order of
 * the axes longer than 1 moves no element (e.g. [B, 1, H, D] to [B, H, 1, D],
 * a decoding step's keys): that is a view, as reshape; any other a contiguous copy.
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const p = perm ? perm.map((a) => normAxis(a, x.rank, 'transpose')) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new Error(
      `transpose: perm [${perm?.join(', ')}] is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`,
    );
  }
  if (movesNothing(x.shape, p))
    return reshape(
      x,
      p.map((a) => x.shape[a]!),
    );
  const out = run1('transpose', 'transpose', [x], { perm: p });
  if (needsGrad(x)) {
    const inverse = new Array<number>(p.length);
    p.forEach((src, dst) => (inverse[src] = dst));
    record('transpose', [x], [out], [], ([dy]) => [run1('transpose', 'transpose', [dy!], { perm: inverse })]);
  }
  return out;
}

/** Whether permuting `shape` by `perm` leaves the row-major order of the elements as it is. */
function movesNothing(shape: readonly number[], perm: readonly number[]): boolean {
  let last = -1;
  for (const a of perm) {
    if (shape[a] === 1) continue;
    if (a < last) return false;
    last = a;
  }
  return true;
}

/** Swap two axes (a transpose). */
export function swapAxes(x: Tensor, a: number, b: number): Tensor {
  const perm = x.shape.map((_, i) => i);
  const i = normAxis(a, x.rank, 'swapAxes');
  const j = normAxis(b, x.rank, 'swapAxes');
  perm[i] = j;
  perm[j] = i;
  return transpose(x, perm);
}

/** x[begin : begin + size] per axis; size -1 (or a missing entry) runs to the end. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  if (begin.length > x.rank)
    throw new Error(`slice: begin [${begin.join(', ')}] has more entries than ${fmt(x.shape)} has axes`);
  const b = x.shape.map((d, i) => {
    const v = begin[i] ?? 0;
    return v < 0 ? v + d : v;
  });
  const s = x.shape.map((d, i) => {
    const v = size?.[i] ?? -1;
    return v === -1 ? d - b[i]! : v;
  });
  for (let i = 0; i < x.rank; i++) {
    if (b[i]! < 0 || s[i]! < 0 || b[i]! + s[i]! > x.shape[i]!) {
      throw new Error(
        `slice: begin [${begin.join(', ')}] size [${(size ?? []).join(', ')}] is out of bounds for ${fmt(x.shape)} (axis ${i})`,
      );
    }
  }
  const out = run1('slice', 'slice', [x], { begin: b, size: s });
  if (needsGrad(x)) {
    const inputShape = x.shape.slice();
    record('slice', [x], [out], [], ([dy]) => [run1('sliceGrad', 'sliceGrad', [dy!], { begin: b, inputShape })]);
  }
  return out;
}

/** Concatenate along `axis`; all other dims must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis(axis, first.rank, 'concat');
  for (const t of xs) {
    if (t.dtype !== first.dtype) throw new Error(`concat: dtypes differ: ${first.describe()} and ${t.describe()}`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${fmt(first.shape)} and ${fmt(t.shape)} differ outside axis ${axis}`);
    }
  }
  const out = run1('concat', 'concat', xs, { axis: a });
  if (needsGrad(...xs)) {
    const sizes = xs.map((t) => t.shape[a]!);
    const rank = first.rank;
    const needs = xs.map((t) => t.requiresGrad);
    record('concat', xs, [out], [], ([dy]) => {
      let offset = 0;
      return sizes.map((n, i) => {
        const begin = new Array<number>(rank).fill(0);
        begin[a] = offset;
        offset += n;
        if (!needs[i]) return null;
        const size = dy!.shape.slice();
        size[a] = n;
        return run1('slice', 'slice', [dy!], { begin, size });
      });
    });
  }
  return out;
}

/** Stack equal-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  return concat(
    xs.map((t) => unsqueeze(t, axis)),
    axis,
  );
}

/** Split along `axis` into pieces of the given sizes (or `n` equal pieces). */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis(axis, x.rank, 'split');
  const d = x.shape[a]!;
  const list = typeof sizes === 'number' ? new Array<number>(sizes).fill(d / sizes) : sizes;
  if (list.some((n) => !Number.isInteger(n)) || list.reduce((s, n) => s + n, 0) !== d) {
    throw new Error(`split: sizes [${list.join(', ')}] do not add up to axis ${axis} of ${fmt(x.shape)}`);
  }
  let offset = 0;
  return list.map((n) => {
    const begin = new Array<number>(x.rank).fill(0);
    begin[a] = offset;
    offset += n;
    const size = x.shape.slice();
    size[a] = n;
    return slice(x, begin, size);
  });
}

/** Broadcast x to `shape` (a materialised copy; the gradient sums back). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const ok = x.rank <= shape.length && x.shape.every((d, i) => d === 1 || d === shape[shape.length - x.rank + i]);
  if (!ok) throw new Error(`broadcastTo: ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
  return add(zeros(shape), x);
}

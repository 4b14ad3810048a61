import { implement } from '../../registry.js';
import { contracts, type ReduceOp } from './contract.js';
import { assertInputCount, normalizeAxes, reducedShape, sizeOf } from '../../shape.js';
import { floatInput, floatOutput } from '../../cpu/host.js';
import { permute } from '../../cpu/permute.js';
import { assertReducible } from './empty-axis.js';

/**
 * Reduce x over `axes`. Contiguous axes reduce in place as [outer, r, inner];
 * scattered axes are first permuted to the end. Sums accumulate in float64.
 * sum over nothing is 0, mean over nothing NaN (max over nothing is refused
 * before: see empty-axis.ts); max propagates NaN.
 */
export function reduce(
  op: ReduceOp,
  x: Float32Array,
  shape: readonly number[],
  sortedAxes: readonly number[],
  out: Float32Array,
): void {
  if (out.length === 0) return;
  if (sortedAxes.length === 0) {
    out.set(x);
    return;
  }
  let src = x;
  let first = sortedAxes[0];
  let last = sortedAxes[sortedAxes.length - 1];
  let view = shape;
  if (last - first + 1 !== sortedAxes.length) {
    const kept = shape.map((_, i) => i).filter((i) => !sortedAxes.includes(i));
    const perm = [...kept, ...sortedAxes];
    src = new Float32Array(x.length);
    permute(x, shape, perm, src);
    view = perm.map((p) => shape[p]);
    first = kept.length;
    last = shape.length - 1;
  }
  const outer = sizeOf(view.slice(0, first));
  const r = sizeOf(view.slice(first, last + 1));
  const inner = sizeOf(view.slice(last + 1));
  if (op === 'max') {
    for (let o = 0; o < outer; o++) {
      const base = o * r * inner;
      for (let i = 0; i < inner; i++) {
        let m = -Infinity;
        for (let j = 0, p = base + i; j < r; j++, p += inner) {
          const v = src[p];
          if (v > m || v !== v) m = v;
        }
        out[o * inner + i] = m;
      }
    }
    return;
  }
  const divisor = op === 'mean' ? r : 1;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      let acc = 0;
      const end = (o + 1) * r;
      for (let p = o * r; p < end; p++) acc += src[p];
      out[o] = acc / divisor;
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    let p = o * r * inner;
    for (let j = 0; j < r; j++) for (let i = 0; i < inner; i++) acc[i] += src[p++];
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i] / divisor;
  }
}

/** The cpu implementations of this folder's kernels. */
export const implementations = contracts.map((contract) => {
  const op = contract.name;
  return implement(contract, 'cpu', ({ inputs, attrs, backend }) => {
    assertInputCount(op, inputs, 1);
    const [x] = inputs;
    const axes = normalizeAxes(op, attrs.axes, x.shape.length);
    assertReducible(op, x.shape, axes);
    const out = floatOutput(backend, reducedShape(x.shape, axes, attrs.keepDims === true));
    reduce(op, floatInput(backend, x, op), x.shape, axes, out.data);
    return out.info;
  });
});

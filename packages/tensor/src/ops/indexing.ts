/** Gathers, selects and conversions: gather/embedding, takeAlongAxis, where, cast, clone, assign. */
import type { DType } from '@molrl/gpu-backend';
import { isFloat } from '@molrl/gpu-backend';
import { broadcastShapes, fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, assertInt, needsGrad, record, run1, runKernel, viewOf } from './core.js';
import { fill } from './creation.js';
import { sumToShape, type Operand } from './elementwise.js';
import { StorageRef } from '../storage.js';
import { getBackend } from '../engine.js';

/**
 * Rows of `table` [R, ...] at int32 `indices` [...N]: result [...N, ...].
 * The embedding lookup; the gradient scatter-adds into the rows.
 */
export function gather(table: Tensor, indices: Tensor): Tensor {
  // A float16/bfloat16 table (checkpoint storage) gives rows of its own dtype, so
  // a lookup never widens the whole table; only float32 tables take gradients.
  if (table.dtype === 'int32') throw new Error(`gather: table must be a float tensor, got ${table.describe()}`);
  if (table.dtype !== 'float32' && needsGrad(table)) {
    throw new Error(
      `gather: a ${table.dtype} table cannot take gradients (train a float32 copy), got ${table.describe()}`,
    );
  }
  assertInt('gather', 'indices', indices);
  if (table.rank < 1) throw new Error(`gather: table must have rank >= 1, got ${fmt(table.shape)}`);
  const rows = table.shape[0]!;
  const rowShape = table.shape.slice(1);
  const cols = rowShape.reduce((a, b) => a * b, 1);
  const table2 = table.rank === 2 ? table : viewOf(table, [rows, cols], 'reshape');
  const out2 = run1('gather', 'gatherRows', [table2, indices]);
  if (table2 !== table) table2.dispose();
  const outShape = [...indices.shape, ...rowShape];
  const out = sameShape(out2.shape, outShape) ? out2 : viewOf(out2, outShape, 'gather');
  if (out !== out2) out2.dispose();
  if (needsGrad(table)) {
    const tableShape = table.shape;
    const n = indices.size;
    record('gather', [table, null], [out], [indices], ([dy], [idx]) => {
      const dy2 = viewOf(dy!, [n, cols], 'reshape');
      const idx1 = viewOf(idx!, [n], 'reshape');
      const g = run1('scatterAddRows', 'scatterAddRows', [dy2, idx1], { numRows: rows });
      return [viewOf(g, tableShape, 'reshape')];
    });
  }
  return out;
}

/** Embedding lookup: `weight` [vocab, dim] rows at int32 `ids` (same as gather(weight, ids)). */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  return gather(weight, ids);
}

/** x[..., indices[...]]: per-row pick along the last axis (e.g. the target token's log-prob). */
export function takeAlongAxis(x: Tensor, indices: Tensor): Tensor {
  assertFloat('takeAlongAxis', x);
  assertInt('takeAlongAxis', 'indices', indices);
  if (!sameShape(x.shape.slice(0, -1), indices.shape)) {
    throw new Error(`takeAlongAxis: indices ${fmt(indices.shape)} must match x ${fmt(x.shape)} without its last axis`);
  }
  const out = run1('takeAlongAxis', 'takeAlongAxis', [x, indices]);
  if (needsGrad(x)) {
    const size = x.shape[x.rank - 1]!;
    record('takeAlongAxis', [x, null], [out], [indices], ([dy], [idx]) => [
      run1('putAlongAxis', 'putAlongAxis', [dy!, idx!], { size }),
    ]);
  }
  return out;
}

function asTensor(v: Operand): Tensor {
  return typeof v === 'number' ? fill([], v) : v;
}

/** cond ? a : b elementwise, broadcasting all three (cond nonzero = true). */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ta = asTensor(a);
  const tb = asTensor(b);
  assertFloat('where', cond, ta, tb);
  broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const out = run1('where', 'where', [cond, ta, tb]);
  if (needsGrad(ta, tb)) {
    const aShape = ta.shape;
    const bShape = tb.shape;
    const needA = ta.requiresGrad;
    const needB = tb.requiresGrad;
    record('where', [null, ta, tb], [out], [cond], ([dy], [c]) => {
      const zero = fill([], 0);
      return [
        null,
        needA ? sumToShape(run1('where', 'where', [c!, dy!, zero]), aShape) : null,
        needB ? sumToShape(run1('where', 'where', [c!, zero, dy!]), bShape) : null,
      ];
    });
  }
  if (ta !== a) ta.dispose();
  if (tb !== b) tb.dispose();
  return out;
}

/** Convert dtype (float <-> float16/bfloat16 round-to-nearest-even; float <-> int32 truncates). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return clone(x);
  const out = run1('cast', 'cast', [x], { dtype });
  if (isFloat(dtype) && needsGrad(x)) {
    const from = x.dtype;
    // The gradient comes back in the input's dtype (dy has the output's, or float32).
    record('cast', [x], [out], [], ([dy]) => [dy!.dtype === from ? dy : run1('cast', 'cast', [dy!], { dtype: from })]);
  }
  return out;
}

/** A copy with its own storage. */
export function clone(x: Tensor): Tensor {
  const out = run1('clone', 'copy', [x]);
  if (needsGrad(x)) record('clone', [x], [out], [], ([dy]) => [dy]);
  return out;
}

/** @internal Tensor.assign: give `target` a copy of `value`'s contents (cast to target's dtype). */
export function assignInto(target: Tensor, value: Tensor): void {
  if (!sameShape(target.shape, value.shape)) {
    throw new Error(`assign: shape ${fmt(value.shape)} does not match ${target.describe()}`);
  }
  const kernel = value.dtype === target.dtype ? 'copy' : 'cast';
  const [info] = runKernel('assign', kernel, [value], kernel === 'cast' ? { dtype: target.dtype } : {});
  const old = target.ref;
  target.ref = new StorageRef(info!.storage, getBackend());
  old.release();
}

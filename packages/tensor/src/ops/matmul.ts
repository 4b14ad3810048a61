/**
 * Batched matrix multiply with optional transposes and broadcast batch dims.
 * An operand may be stored as bfloat16/float16 (a weight kept in half
 * precision): the backend's matmul reads it as stored and computes in
 * float32, so no widened copy is made here, in the forward or in the backward.
 */
import { isFloat } from '@molrl/gpu-backend';
import { broadcastShapes, fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { needsGrad, record, run1 } from './core.js';
import { sumToShape } from './elementwise.js';
import { cast } from './indexing.js';

export interface MatmulOptions {
  /** Use a's last two dims transposed (a stored [..., K, M]). */
  transposeA?: boolean;
  /** Use b's last two dims transposed (b stored [..., N, K]). */
  transposeB?: boolean;
}

function mm(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  return run1('matmul', 'matmul', [a, b], { transposeA, transposeB });
}

/**
 * a @ b over the last two dims; leading dims broadcast. Both operands need
 * rank >= 2 and a float dtype (float32, or bfloat16/float16 read as stored);
 * the result is float32. The gradient of a half-precision operand is
 * returned in its dtype, as a cast's would be.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  for (const [name, t] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (!isFloat(t.dtype)) throw new Error(`matmul: ${name} must be a float tensor, got ${t.describe()}`);
  }
  const tA = options.transposeA === true;
  const tB = options.transposeB === true;
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(
      `matmul: operands need rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)} (reshape vectors to [1, K] / [K, 1])`,
    );
  }
  const kA = a.shape[a.rank - (tA ? 2 : 1)]!;
  const kB = b.shape[b.rank - (tB ? 1 : 2)]!;
  if (kA !== kB) {
    throw new Error(
      `matmul: inner dimensions differ: a ${fmt(a.shape)}${tA ? ' (transposed)' : ''} has K=${kA}, b ${fmt(b.shape)}${tB ? ' (transposed)' : ''} has K=${kB}`,
    );
  }
  broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul (batch dims)');
  const out = mm(a, b, tA, tB);
  if (!needsGrad(a, b)) return out;
  const aShape = a.shape;
  const bShape = b.shape;
  const aDType = a.dtype;
  const bDType = b.dtype;
  const needA = a.requiresGrad;
  const needB = b.requiresGrad;
  // Keep only what the backward needs: b for dA, a for dB (a frozen weight's
  // input activations are not kept, which is most of LoRA training's memory).
  const save: Tensor[] = [];
  if (needB) save.push(a);
  if (needA) save.push(b);
  record('matmul', [a, b], [out], save, ([dy], saved) => {
    const sa = needB ? saved[0] : undefined;
    const sb = needA ? saved[needB ? 1 : 0] : undefined;
    const g = dy!;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needA) {
      if (!tA)
        da = mm(g, sb!, false, !tB); // dA = dC op(B)^T
      else da = mm(sb!, g, tB, true); // dA = op(B) dC^T
      da = toDType(sumToShape(da, aShape), aDType);
    }
    if (needB) {
      if (!tB)
        db = mm(sa!, g, !tA, false); // dB = op(A)^T dC
      else db = mm(g, sa!, true, tA); // dB = dC^T op(A)
      db = toDType(sumToShape(db, bShape), bDType);
    }
    return [da, db];
  });
  return out;
}

/** A float32 gradient in the dtype of the operand it belongs to (consumed when cast). */
export function toDType(g: Tensor, dtype: Tensor['dtype']): Tensor {
  if (dtype === 'float32') return g;
  const out = cast(g, dtype);
  g.dispose();
  return out;
}

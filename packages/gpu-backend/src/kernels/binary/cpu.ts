import { implement } from '../../registry.js';
import { BINARY_OPS, contracts, type BinaryOp } from './contract.js';
import { assertInputCount, broadcastShapes, sameShape } from '../../shape.js';
import { forEachBroadcastRow } from '../../cpu/broadcast.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { scaleAdd } from '../../cpu/scale-add.js';

/**
 * out[o + i] = op(a[ai + i*as], b[bi + i*bs]) for i < n. One loop per op so
 * each stays monomorphic and tight.
 */
export function binaryRow(
  op: BinaryOp,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  out: Float32Array,
  o: number,
  n: number,
): void {
  // A row against one value of b (a row broadcast: x - max, x * scale) with a contiguous:
  // the value read once and the loop on one index, about 1.5x the general loop.
  if (bs === 0 && as === 1 && scalarRow(op, a, ai, b[bi]!, out, o, n)) return;
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] + b[bi];
      return;
    case 'sub':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] - b[bi];
      return;
    case 'mul':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] * b[bi];
      return;
    case 'div':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] / b[bi];
      return;
    case 'maximum':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = Math.max(a[ai], b[bi]);
      return;
    case 'minimum':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = Math.min(a[ai], b[bi]);
      return;
    case 'pow':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = Math.pow(a[ai], b[bi]);
      return;
    case 'equal':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] === b[bi] ? 1 : 0;
      return;
    case 'notEqual':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] !== b[bi] ? 1 : 0;
      return;
    case 'greater':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] > b[bi] ? 1 : 0;
      return;
    case 'greaterEqual':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] >= b[bi] ? 1 : 0;
      return;
    case 'less':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] < b[bi] ? 1 : 0;
      return;
    case 'lessEqual':
      for (let i = 0; i < n; i++, ai += as, bi += bs) out[o + i] = a[ai] <= b[bi] ? 1 : 0;
      return;
    default:
      throw new Error(`unknown binary op '${String(op)}' (expected one of ${BINARY_OPS.join(', ')})`);
  }
}

/** out[o + i] = a[ai + i] op s for the arithmetic ops (false for the others, which the general loop takes). */
function scalarRow(
  op: BinaryOp,
  a: Float32Array,
  ai: number,
  s: number,
  out: Float32Array,
  o: number,
  n: number,
): boolean {
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i]! + s;
      return true;
    case 'sub':
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i]! - s;
      return true;
    case 'mul':
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i]! * s;
      return true;
    case 'div':
      for (let i = 0; i < n; i++) out[o + i] = a[ai + i]! / s;
      return true;
    default:
      return false;
  }
}

/** Broadcasting a op b on host arrays. */
export function broadcastBinary(
  op: BinaryOp,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  out: Float32Array,
  outShape: readonly number[],
): void {
  forEachBroadcastRow(outShape, [aShape, bShape], (offsets, o, n, inner) => {
    binaryRow(op, a, offsets[0], inner[0], b, offsets[1], inner[1], out, o, n);
  });
}

/** The cpu implementations of this folder's kernels. */
export const implementations = contracts.map((contract) => {
  const op = contract.name;
  return implement(contract, 'cpu', ({ inputs, backend }) => {
    assertInputCount(op, inputs, 2);
    const [a, b] = inputs;
    const outShape = broadcastShapes(op, a.shape, b.shape);
    const out = writtenFloatOutput(backend, outShape); // every element, broadcast rows and all
    const x = floatInput(backend, a, op);
    const y = floatInput(backend, b, op);
    // Same shapes: a + b and a - b are a + b * (+-1) exactly, at memory speed on the native addon.
    if ((op === 'add' || op === 'sub') && sameShape(a.shape, b.shape)) scaleAdd(x, y, out.data, op === 'add' ? 1 : -1);
    else broadcastBinary(op, x, a.shape, y, b.shape, out.data, outShape);
    return out.info;
  });
});

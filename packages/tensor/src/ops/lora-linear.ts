/**
 * A linear layer with an unmerged LoRA adapter as one op:
 *   y = x W^T + scaling (x A^T) B^T
 * The backend's `loraLinear` kernel computes it in fewer launches than the
 * three products, the scale and the add (decoding through an adapted layer,
 * which a GPU's launch count bounds); a backend without the kernel runs that
 * composition. The gradient reaches x, A, B and a trainable W. With
 * dropout the adapter reads x dropped by the mask the composition draws
 * (randomUniform at the seed, greaterEqual p, mul, scale by 1 / (1 - p)),
 * made inside the op and again in the backward, never kept.
 */
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { backendHas, needsGrad, record, run1 } from './core.js';
import { dropWithoutGraph } from './dropout.js';
import { toDType } from './matmul.js';

function mm(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  return run1('loraLinear', 'matmul', [a, b], { transposeA, transposeB });
}

function scaled(t: Tensor, scaling: number): Tensor {
  return run1('loraLinear', 'scalarOp', [t], { op: 'mul', scalar: scaling });
}

/** Dropout on the adapter's input: the probability and the seed of the mask. */
export interface LoraLinearOptions {
  /** In [0, 1); 0 (the default) reads x itself. */
  dropout?: number;
  /** The mask's randomUniform seed, an integer in [0, 2^53); needed with dropout > 0. */
  seed?: number;
}

/** scaling t, t consumed. */
function scaledOf(t: Tensor, scaling: number): Tensor {
  const out = scaled(t, scaling);
  t.dispose();
  return out;
}

/** Whether |s| is 2^k: multiplying by it is exact (short of overflow and the subnormal range). */
function isPowerOfTwo(s: number): boolean {
  const magnitude = Math.abs(s);
  return magnitude > 0 && 2 ** Math.round(Math.log2(magnitude)) === magnitude;
}

/** a + b, both consumed. */
function sumOf(a: Tensor, b: Tensor): Tensor {
  const out = run1('loraLinear', 'add', [a, b]);
  a.dispose();
  b.dispose();
  return out;
}

/**
 * x [M, K] through weight [N, K] (float32, or bfloat16/float16 read as
 * stored) plus scaling (x loraA^T) loraB^T, loraA [R, K] and loraB [N, R]
 * float32: [M, N] float32. `options.dropout` drops the adapter's input (not
 * the base product's) by a mask drawn from `options.seed`.
 */
export function loraLinear(
  x: Tensor,
  weight: Tensor,
  loraA: Tensor,
  loraB: Tensor,
  scaling: number,
  options: LoraLinearOptions = {},
): Tensor {
  const named = { x, weight, loraA, loraB };
  for (const [name, t] of Object.entries(named)) {
    if (t.rank !== 2) throw new Error(`loraLinear: ${name} must be 2-D, got ${fmt(t.shape)}`);
    const floats = name === 'weight' ? ['float32', 'bfloat16', 'float16'] : ['float32'];
    if (!floats.includes(t.dtype))
      throw new Error(`loraLinear: ${name} must be ${floats.join(' or ')}, got ${t.describe()}`);
  }
  const k = x.shape[1]!;
  const n = weight.shape[0]!;
  const r = loraA.shape[0]!;
  if (weight.shape[1] !== k)
    throw new Error(`loraLinear: weight ${fmt(weight.shape)} must be [N, ${k}] for x ${fmt(x.shape)}`);
  if (loraA.shape[1] !== k)
    throw new Error(`loraLinear: loraA ${fmt(loraA.shape)} must be [R, ${k}] for x ${fmt(x.shape)}`);
  if (loraB.shape[0] !== n || loraB.shape[1] !== r) {
    throw new Error(
      `loraLinear: loraB ${fmt(loraB.shape)} must be [${n}, ${r}] (weight ${fmt(weight.shape)}, loraA ${fmt(loraA.shape)})`,
    );
  }
  if (!Number.isFinite(scaling)) throw new Error(`loraLinear: scaling must be a finite number, got ${scaling}`);
  const p = options.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new Error(`loraLinear: dropout must be in [0, 1), got ${p}`);
  const seed = options.seed ?? 0;
  if (p > 0 && !(Number.isInteger(options.seed) && seed >= 0 && seed < 2 ** 53)) {
    throw new Error(`loraLinear: dropout ${p} needs a seed, an integer in [0, 2^53), got ${options.seed}`);
  }
  const dropAttrs = p > 0 ? { dropout: p, seed } : {};
  /** The adapter's input: x, or x dropped (a new tensor the caller disposes). */
  const adapterInput = (input: Tensor): Tensor => (p > 0 ? dropWithoutGraph(input, p, seed) : input);
  let out: Tensor;
  if (backendHas('loraLinear'))
    out = run1('loraLinear', 'loraLinear', [x, weight, loraA, loraB], { scaling, ...dropAttrs });
  else {
    const dropped = adapterInput(x);
    const down = mm(dropped, loraA, false, true);
    if (dropped !== x) dropped.dispose();
    const up = mm(down, loraB, false, true);
    down.dispose();
    const low = scaled(up, scaling);
    up.dispose();
    out = sumOf(mm(x, weight, false, true), low);
  }
  if (!needsGrad(x, weight, loraA, loraB)) return out;
  const [needX, needW, needA, needB] = [x, weight, loraA, loraB].map((t) => t.requiresGrad);
  const weightDType = weight.dtype;
  // A power of two scales every product exactly, in any order: the backward then scales the
  // adapter's narrow [M, R] products instead of the [M, N] gradient, with the same bits.
  const scaleNarrow = isPowerOfTwo(scaling);
  record('loraLinear', [x, weight, loraA, loraB], [out], [x, weight, loraA, loraB], ([dy], [sx, sw, sa, sb]) => {
    const g = dy!;
    // The adapter's path, as the unfused layer's backward takes it: g' = scaling g, then its two products.
    const gs = scaleNarrow ? g : scaled(g, scaling); // [M, N]
    // The dropped input again, from the seed (never kept between forward and backward).
    const dropped = needA || needB ? adapterInput(sx!) : sx!;
    let dB: Tensor | null = null;
    if (needB) {
      let down = mm(dropped, sa!, false, true); // x' A^T [M, R]
      if (scaleNarrow) down = scaledOf(down, scaling);
      dB = mm(gs, down, true, false); // [N, R]
      down.dispose();
    }
    let dDown = mm(gs, sb!, false, false); // [M, R]
    if (scaleNarrow) dDown = scaledOf(dDown, scaling);
    else gs.dispose();
    const dA = needA ? mm(dDown, dropped, true, false) : null; // [R, K]
    if (dropped !== sx) dropped.dispose();
    let dx: Tensor | null = null;
    if (needX) {
      let dAdapter = mm(dDown, sa!, false, false); // dL/dx' [M, K]
      if (p > 0) {
        // Back through the dropout: the same mask and scale on the gradient (the bits of the composition's
        // two multiplies' backward: a factor 1 or 0 commutes with the scale exactly).
        const back = dropWithoutGraph(dAdapter, p, seed);
        dAdapter.dispose();
        dAdapter = back;
      }
      dx = sumOf(mm(g, sw!, false, false), dAdapter); // [M, K]
    }
    dDown.dispose();
    const dW = needW ? toDType(mm(g, sx!, true, false), weightDType) : null; // [N, K]
    return [dx, dW, dA, dB];
  });
  return out;
}

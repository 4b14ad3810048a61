/**
 * A linear layer with an unmerged LoRA adapter as one op:
 *   y = x W^T + scaling (x A^T) B^T
 * The backend's `loraLinear` kernel computes it in fewer launches than the
 * three products, the scale and the add (decoding through an adapted layer,
 * which a GPU's launch count bounds); a backend without the kernel runs that
 * composition. The gradient reaches x, A, B and a trainable W.
 */
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { backendHas, needsGrad, record, run1 } from './core.js';
import { cast } from './indexing.js';

function mm(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  return run1('loraLinear', 'matmul', [a, b], { transposeA, transposeB });
}

function scaled(t: Tensor, scaling: number): Tensor {
  return run1('loraLinear', 'scalarOp', [t], { op: 'mul', scalar: scaling });
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
 * float32: [M, N] float32.
 */
export function loraLinear(x: Tensor, weight: Tensor, loraA: Tensor, loraB: Tensor, scaling: number): Tensor {
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
  let out: Tensor;
  if (backendHas('loraLinear')) out = run1('loraLinear', 'loraLinear', [x, weight, loraA, loraB], { scaling });
  else {
    const down = mm(x, loraA, false, true);
    const up = mm(down, loraB, false, true);
    down.dispose();
    const low = scaled(up, scaling);
    up.dispose();
    out = sumOf(mm(x, weight, false, true), low);
  }
  if (!needsGrad(x, weight, loraA, loraB)) return out;
  const [needX, needW, needA, needB] = [x, weight, loraA, loraB].map((t) => t.requiresGrad);
  const weightDType = weight.dtype;
  record('loraLinear', [x, weight, loraA, loraB], [out], [x, weight, loraA, loraB], ([dy], [sx, sw, sa, sb]) => {
    const g = dy!;
    // The adapter's path, as the unfused layer's backward takes it: g' = scaling g, then its two products.
    const gs = scaled(g, scaling); // [M, N]
    let dB: Tensor | null = null;
    if (needB) {
      const down = mm(sx!, sa!, false, true); // x A^T [M, R]
      dB = mm(gs, down, true, false); // [N, R]
      down.dispose();
    }
    const dDown = mm(gs, sb!, false, false); // [M, R]
    gs.dispose();
    const dA = needA ? mm(dDown, sx!, true, false) : null; // [R, K]
    const dx = needX ? sumOf(mm(g, sw!, false, false), mm(dDown, sa!, false, false)) : null; // [M, K]
    dDown.dispose();
    let dW: Tensor | null = null;
    if (needW) {
      dW = mm(g, sx!, true, false); // [N, K]
      if (weightDType !== 'float32') {
        const half = cast(dW, weightDType);
        dW.dispose();
        dW = half;
      }
    }
    return [dx, dW, dA, dB];
  });
  return out;
}

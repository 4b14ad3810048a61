import type { TensorInfo } from '../../backend.js';
import { isFloat } from '../../dtype.js';
import { assertSeed } from '../../random/philox.js';
import { assertDType, assertInputCount, fmt } from '../../shape.js';

/** The sizes of a loraLinear call, its operands and dropout checked (shared by the backends). */
export function loraLinearDims(
  inputs: readonly TensorInfo[],
  attrs: { dropout?: number; seed?: number },
): { m: number; n: number; k: number; r: number } {
  assertInputCount('loraLinear', inputs, 4);
  const p = attrs.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new Error(`loraLinear: dropout must be in [0, 1), got ${p}`);
  if (p > 0) assertSeed('loraLinear', attrs.seed);
  const [x, weight, a, b] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  assertDType('loraLinear', 'x', x, 'float32');
  assertDType('loraLinear', 'loraA', a, 'float32');
  assertDType('loraLinear', 'loraB', b, 'float32');
  if (!isFloat(weight.dtype)) {
    throw new Error(`loraLinear: weight must be float32, bfloat16 or float16, got ${weight.dtype}`);
  }
  for (const [name, t] of [
    ['x', x],
    ['weight', weight],
    ['loraA', a],
    ['loraB', b],
  ] as const) {
    if (t.shape.length !== 2) throw new Error(`loraLinear: ${name} must be 2-D, got ${fmt(t.shape)}`);
  }
  const [m, k] = x.shape as [number, number];
  const [n, kw] = weight.shape as [number, number];
  const [r, ka] = a.shape as [number, number];
  const [nb, rb] = b.shape as [number, number];
  if (kw !== k) throw new Error(`loraLinear: weight ${fmt(weight.shape)} must be [N, ${k}] for x ${fmt(x.shape)}`);
  if (ka !== k) throw new Error(`loraLinear: loraA ${fmt(a.shape)} must be [R, ${k}] for x ${fmt(x.shape)}`);
  if (nb !== n || rb !== r) {
    throw new Error(
      `loraLinear: loraB ${fmt(b.shape)} must be [${n}, ${r}] (weight ${fmt(weight.shape)}, loraA ${fmt(a.shape)})`,
    );
  }
  return { m, n, k, r };
}

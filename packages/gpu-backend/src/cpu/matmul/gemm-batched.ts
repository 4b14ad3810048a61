import { bfloat16ArrayToFloat32, float16ArrayToFloat32 } from '../../dtype-convert.js';
import { activeNative, gemm } from './gemm.js';
import { NATIVE_B_TYPE, callNative } from './native-gemm.js';
import type { GemvElement } from './gemv-kernels.js';

/**
 * `batch` products C_t = op(A_t) op(B_t), item t's operands at offset + t * stride
 * (a stride of 0 shares one operand across the batch), B float32 or the raw bits
 * of bfloat16/float16.
 */
export interface BatchedGemmParams {
  a: Float32Array;
  aOffset: number;
  strideA: number;
  transA: boolean;
  b: Float32Array | Uint16Array;
  bOffset: number;
  strideB: number;
  transB: boolean;
  bElement: GemvElement;
  c: Float32Array;
  cOffset: number;
  strideC: number;
  m: number;
  n: number;
  k: number;
  batch: number;
}

/**
 * The native GEMM takes the whole batch in one call (its threads share the
 * items) and widens half-precision B while packing; the WebAssembly GEMM runs
 * the items one by one on a widened copy of the B it reads.
 */
export function gemmBatched(p: BatchedGemmParams): void {
  const { m, n, k, batch } = p;
  if (m === 0 || n === 0 || batch === 0) return;
  if (p.bElement === 'f32' ? !(p.b instanceof Float32Array) : !(p.b instanceof Uint16Array))
    throw new TypeError(
      `gemm: b must be a ${p.bElement === 'f32' ? 'Float32Array' : 'Uint16Array'} for element '${p.bElement}'`,
    );
  const native = k > 0 ? activeNative() : null;
  if (native) {
    callNative(
      native,
      p.a,
      p.aOffset,
      p.strideA,
      p.transA,
      p.b,
      p.bOffset,
      p.strideB,
      p.transB,
      NATIVE_B_TYPE[p.bElement],
      p.c,
      p.cOffset,
      p.strideC,
      m,
      n,
      k,
      batch,
    );
    return;
  }
  let b: Float32Array;
  let bOffset = p.bOffset;
  if (p.bElement === 'f32') b = p.b as Float32Array;
  else {
    const span = p.b.subarray(p.bOffset, p.bOffset + (batch - 1) * p.strideB + k * n) as Uint16Array;
    b = p.bElement === 'bf16' ? bfloat16ArrayToFloat32(span) : float16ArrayToFloat32(span);
    bOffset = 0;
  }
  for (let t = 0; t < batch; t++) {
    gemm({
      a: p.a,
      aOffset: p.aOffset + t * p.strideA,
      b,
      bOffset: bOffset + t * p.strideB,
      c: p.c,
      cOffset: p.cOffset + t * p.strideC,
      m,
      n,
      k,
      transA: p.transA,
      transB: p.transB,
    });
  }
}

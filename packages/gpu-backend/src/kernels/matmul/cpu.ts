import { implement } from '../../registry.js';
import { matmul } from './contract.js';
import { assertInputCount, broadcastStrides, matmulShape, sizeOf, stridesOf } from '../../shape.js';
import { floatInput, rawInput, writtenFloatOutput } from '../../cpu/host.js';
import { activeNative, gemmImplementation, getGemmConfig } from '../../cpu/matmul/gemm.js';
import { gemmBatched } from '../../cpu/matmul/gemm-batched.js';
import { gemv, type GemvElement } from '../../cpu/matmul/gemv.js';
import { NATIVE_B_TYPE, callNativeGemv } from '../../cpu/matmul/native-gemm.js';

/** Rows of A (all batches together) up to which a product with a float32 [N, K] weight runs as dot products. */
export const GEMV_MAX_ROWS = 8;

/**
 * The same limit for a float32 weight with the native addon, whose dot products
 * read the weight once on every thread: 16 rows of them beat its GEMM, which
 * copies the weight into packed panels first.
 */
export const GEMV_MAX_ROWS_NATIVE = 16;

/**
 * The limit for a bfloat16/float16 weight, read as stored. Past it the GEMM
 * (WebAssembly's on a widened float32 copy of the whole weight, the native one
 * widening while it packs) costs more than the dot products up to here (batched
 * decode: 16 or 32 sequences of a GRPO group). Measured at the Qwen3-0.6B
 * vocabulary projection in bf16 with the native addon: 32 rows take 0.9x the
 * GEMM's time, 64 rows 1.2x.
 */
export const GEMV_MAX_ROWS_HALF = 32;

/**
 * The dot products also need K of at least this many per row of A: each output's
 * dot product has a fixed cost (its vector lanes summed, the end of K past the
 * last whole vector) that a short K does not repay, while the GEMM's packing of
 * a short-K weight costs little. Measured on the native addon (float32 and
 * bfloat16 weights, N from 64 to 4096): the dot products lose below about 8 K per
 * row (16 rows: up to 10x slower at K = 8, 1.1-1.3x at K = 64, 0.4-0.9x at K = 128),
 * and win above it. The case it settles: LoRA's up-projection at decode (K the rank).
 */
export const GEMV_MIN_K_PER_ROW = 8;

const GEMV_ELEMENT: Partial<Record<string, GemvElement>> = { float32: 'f32', bfloat16: 'bf16', float16: 'f16' };

/** Rows (all batches together) up to which a product with a [N, K] weight of this element runs as dot products. */
export function gemvRowLimit(element: GemvElement): number {
  return rowLimit(element, gemmImplementation() === 'native');
}

function rowLimit(element: GemvElement, native: boolean): number {
  if (element !== 'f32') return GEMV_MAX_ROWS_HALF;
  return native ? GEMV_MAX_ROWS_NATIVE : GEMV_MAX_ROWS;
}

/**
 * Batched matmul over broadcast batch dims. When b has no batch (a linear
 * layer: [..., M, K] x [K, N]) and a is not transposed, a's batch folds into M
 * and the whole product is one GEMM; when each operand has the whole batch or
 * none of it, the batch is one strided GEMM call; other broadcasts run one GEMM
 * per batch matrix. A half-precision b reaches the GEMM as stored (the native
 * GEMM widens it while packing). A few rows against a transposed b without
 * batch (decoding through a linear layer, b a weight [N, K]) run as dot
 * products that read b in its storage dtype, with no widened copy (when K is
 * long enough to repay them: GEMV_MIN_K_PER_ROW).
 */
export const matmulKernel = implement(matmul, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('matmul', inputs, 2);
  const [aInfo, bInfo] = inputs;
  const transA = attrs.transposeA === true;
  const transB = attrs.transposeB === true;
  const { batchShape, m, n, k, outShape } = matmulShape(aInfo.shape, bInfo.shape, transA, transB);
  // Every path writes all of C (the GEMMs and dot products overwrite it; K = 0 fills it below).
  const out = writtenFloatOutput(backend, outShape);
  const c = out.data;
  if (c.length === 0) return out.info;
  const a = floatInput(backend, aInfo, 'matmul');
  if (k === 0) {
    c.fill(0);
    return out.info;
  }
  const batch = sizeOf(batchShape);
  const bBatch = sizeOf(bInfo.shape.slice(0, -2));
  const element = GEMV_ELEMENT[bInfo.storage.dtype];
  // The GEMM in use decides the dot products' row limit and which kernel takes them: looked up once.
  const native = element && transB && bBatch === 1 ? activeNative() : null;
  if (
    element &&
    transB &&
    bBatch === 1 &&
    m * batch <= rowLimit(element, native !== null) &&
    k >= GEMV_MIN_K_PER_ROW * m * batch &&
    (batch === 1 || !transA) &&
    // Tiny products stay on the GEMM's plain loops, as they would without this path.
    m * batch * n * k >= getGemmConfig().minPackedWork
  ) {
    const bRaw = rawInput(backend, bInfo, 'matmul') as Float32Array | Uint16Array;
    // Batches fold into rows only when A is not transposed (checked above for batch > 1).
    if (native) callNativeGemv(native, a, 0, transA, bRaw, 0, true, NATIVE_B_TYPE[element], c, 0, m * batch, n, k);
    else gemv({ a, aOffset: 0, transA, b: bRaw, bOffset: 0, element, c, cOffset: 0, m: m * batch, n, k });
    return out.info;
  }
  // float32 and half-precision b go to the GEMM as stored (it widens half while packing); int32 is widened here.
  const bElement = element ?? 'f32';
  const b = element
    ? (rawInput(backend, bInfo, 'matmul') as Float32Array | Uint16Array)
    : floatInput(backend, bInfo, 'matmul');
  const aBatch = sizeOf(aInfo.shape.slice(0, -2));
  const aMat = m * k;
  const bMat = k * n;
  // One object shape for every call (no spreads: small products are called often).
  const product = (
    aOffset: number,
    strideA: number,
    bOffset: number,
    strideB: number,
    cOffset: number,
    rows: number,
    count: number,
  ) =>
    gemmBatched({
      a,
      aOffset,
      strideA,
      transA,
      b,
      bOffset,
      strideB,
      transB,
      bElement,
      c,
      cOffset,
      strideC: rows * n,
      m: rows,
      n,
      k,
      batch: count,
    });
  if (bBatch === 1 && !transA && aBatch === batch) {
    // A linear layer: a's batch folds into M, one product.
    product(0, 0, 0, 0, 0, m * batch, 1);
    return out.info;
  }
  if ((aBatch === batch || aBatch === 1) && (bBatch === batch || bBatch === 1)) {
    // Each operand either has the whole batch or is shared by it: one strided call.
    product(0, aBatch === 1 ? 0 : aMat, 0, bBatch === 1 ? 0 : bMat, 0, m, batch);
    return out.info;
  }
  const aStrides = broadcastStrides(aInfo.shape.slice(0, -2), batchShape);
  const bStrides = broadcastStrides(bInfo.shape.slice(0, -2), batchShape);
  const outStrides = stridesOf(batchShape);
  for (let t = 0; t < batch; t++) {
    let aIndex = 0;
    let bIndex = 0;
    let rest = t;
    for (let d = 0; d < batchShape.length; d++) {
      const coord = Math.floor(rest / outStrides[d]);
      rest -= coord * outStrides[d];
      aIndex += coord * aStrides[d];
      bIndex += coord * bStrides[d];
    }
    product(aIndex * aMat, 0, bIndex * bMat, 0, t * m * n, m, 1);
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [matmulKernel];

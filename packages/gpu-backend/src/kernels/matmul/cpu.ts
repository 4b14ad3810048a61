import { implement } from '../../registry.js';
import { matmul } from './contract.js';
import { assertInputCount, broadcastStrides, matmulShape, sizeOf, stridesOf } from '../../shape.js';
import { floatInput, floatOutput, rawInput } from '../../cpu/host.js';
import { gemm, getGemmConfig } from '../../cpu/matmul/gemm.js';
import { gemv, type GemvElement } from '../../cpu/matmul/gemv.js';

/** Rows of A (all batches together) up to which a product with a [N, K] weight runs as dot products that read B as stored. */
export const GEMV_MAX_ROWS = 8;

const GEMV_ELEMENT: Partial<Record<string, GemvElement>> = { float32: 'f32', bfloat16: 'bf16', float16: 'f16' };

/**
 * Batched matmul over broadcast batch dims, one GEMM per batch matrix. When
 * b has no batch (a linear layer: [..., M, K] x [K, N]) and a is not
 * transposed, a's batch folds into M and the whole product is one GEMM.
 * A few rows against a transposed b without batch (decoding through a
 * linear layer, b a weight [N, K]) run as dot products that read b in its
 * storage dtype, bfloat16 and float16 included, with no widened copy.
 */
const matmulKernel = implement(matmul, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('matmul', inputs, 2);
  const [aInfo, bInfo] = inputs;
  const transA = attrs.transposeA === true;
  const transB = attrs.transposeB === true;
  const { batchShape, m, n, k, outShape } = matmulShape(aInfo.shape, bInfo.shape, transA, transB);
  const out = floatOutput(backend, outShape);
  const c = out.data;
  if (c.length === 0) return out.info;
  const a = floatInput(backend, aInfo, 'matmul');
  if (k === 0) return out.info; // zeros
  const batch = sizeOf(batchShape);
  const bBatch = sizeOf(bInfo.shape.slice(0, -2));
  const element = GEMV_ELEMENT[bInfo.storage.dtype];
  if (
    element &&
    transB &&
    bBatch === 1 &&
    m * batch <= GEMV_MAX_ROWS &&
    (batch === 1 || !transA) &&
    // Tiny products stay on the GEMM's plain loops, as they would without this path.
    m * batch * n * k >= getGemmConfig().minPackedWork
  ) {
    const bRaw = rawInput(backend, bInfo, 'matmul') as Float32Array | Uint16Array;
    gemv({ a, aOffset: 0, transA, b: bRaw, bOffset: 0, element, c, cOffset: 0, m: m * batch, n, k });
    return out.info;
  }
  const b = floatInput(backend, bInfo, 'matmul');
  if (bBatch === 1 && !transA && sizeOf(aInfo.shape.slice(0, -2)) === batch) {
    gemm({ a, aOffset: 0, b, bOffset: 0, c, cOffset: 0, m: m * batch, n, k, transA: false, transB });
    return out.info;
  }
  const aStrides = broadcastStrides(aInfo.shape.slice(0, -2), batchShape);
  const bStrides = broadcastStrides(bInfo.shape.slice(0, -2), batchShape);
  const outStrides = stridesOf(batchShape);
  const aMat = m * k;
  const bMat = k * n;
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
    gemm({ a, aOffset: aIndex * aMat, b, bOffset: bIndex * bMat, c, cOffset: t * m * n, m, n, k, transA, transB });
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [matmulKernel];

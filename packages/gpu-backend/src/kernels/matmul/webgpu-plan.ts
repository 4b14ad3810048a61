import type { TensorInfo } from '../../backend.js';
import { assertDType, matmulShape, sizeOf } from '../../shape.js';
import { coalesce } from '../../webgpu/elementwise.js';
import type { UniformLayout } from '../../webgpu/shader.js';

/** Shapes of a batched matmul: sizes, broadcast batch, and the uniform values of its batch offsets. */
export interface MatmulPlan {
  M: number;
  N: number;
  K: number;
  batch: number;
  outShape: number[];
  tA: boolean;
  tB: boolean;
  /** Batch dims after merging; the shaders are parameterised by their count. */
  batchRank: number;
  /** M, N, K and per batch dim its extent and a's and b's strides (in matrices). */
  uniforms: Record<string, number>;
}

export function planMatmul(
  kernel: string,
  a: TensorInfo,
  b: TensorInfo,
  attrs: { transposeA?: boolean; transposeB?: boolean },
): MatmulPlan {
  assertDType(kernel, 'a', a, 'float32');
  assertDType(kernel, 'b', b, 'float32');
  const tA = attrs.transposeA === true;
  const tB = attrs.transposeB === true;
  const { batchShape, m, n, k, outShape } = matmulShape(a.shape, b.shape, tA, tB);
  const { dims, strides } = coalesce(batchShape, [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  const uniforms: Record<string, number> = { M: m, N: n, K: k };
  dims.forEach((d, i) => {
    uniforms[`bd${i}`] = d;
    uniforms[`ba${i}`] = strides[0]![i]!;
    uniforms[`bb${i}`] = strides[1]![i]!;
  });
  return { M: m, N: n, K: k, batch: sizeOf(batchShape), outShape, tA, tB, batchRank: dims.length, uniforms };
}

/** The uniforms of a matmul shader with `batchRank` batch dims. */
export function matmulUniforms(batchRank: number): UniformLayout {
  const layout: [string, 'u32'][] = [
    ['M', 'u32'],
    ['N', 'u32'],
    ['K', 'u32'],
  ];
  for (let d = 0; d < batchRank; d++) layout.push([`bd${d}`, 'u32'], [`ba${d}`, 'u32'], [`bb${d}`, 'u32']);
  return layout;
}

/**
 * WGSL statements setting `aBase` and `bBase` (element offsets of the batch
 * matrix) from `bz` (the batch index); `declare` declares them as local vars,
 * otherwise they are assigned (module-scope privates).
 */
export function batchIndexCode(batchRank: number, declare: boolean): string {
  let code = declare ? 'var aBase = 0u; var bBase = 0u;\n' : 'aBase = 0u; bBase = 0u;\n';
  if (batchRank > 0) {
    code += 'var rem = bz;\n';
    for (let d = batchRank - 1; d >= 0; d--) {
      code += `{ let c = rem % u.bd${d}; rem = rem / u.bd${d}; aBase += c * u.ba${d}; bBase += c * u.bb${d}; }\n`;
    }
    code += 'aBase = aBase * u.M * u.K; bBase = bBase * u.K * u.N;\n';
  }
  return code;
}

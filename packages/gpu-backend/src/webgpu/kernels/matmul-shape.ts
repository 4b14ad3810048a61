import type { TensorInfo } from '../../backend.js';
import type { MatmulAttrs } from '../../kernel-attrs.js';
import type { Params } from '../program.js';
import { coalesce } from './elementwise.js';
import { broadcastShapes, requireFloat32 } from './util.js';

/** Shapes of a batched matmul: sizes, broadcast batch, and WGSL computing per-batch matrix offsets. */
export interface MatmulPlan {
  M: number;
  N: number;
  K: number;
  batch: number;
  outShape: number[];
  tA: boolean;
  tB: boolean;
  params: Params;
  /** WGSL statements defining `aBase` and `bBase` (element offsets) from `bz` (the batch index). */
  batchIndex: string;
}

export function planMatmul(name: string, a: TensorInfo, b: TensorInfo, attrs: MatmulAttrs): MatmulPlan {
  requireFloat32(a, name, 'a');
  requireFloat32(b, name, 'b');
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new Error(`kernel '${name}': inputs need rank >= 2, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  const tA = !!attrs.transposeA;
  const tB = !!attrs.transposeB;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = tA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = tA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const Kb = tB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = tB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (K !== Kb) {
    throw new Error(
      `kernel '${name}': inner dimensions differ: a [${a.shape.join(', ')}]${tA ? ' (transposed)' : ''} has K=${K}, ` +
        `b [${b.shape.join(', ')}]${tB ? ' (transposed)' : ''} has K=${Kb}`,
    );
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batchShape = broadcastShapes([batchA, batchB], name);
  const batch = batchShape.reduce((x, y) => x * y, 1);
  const { dims, strides } = coalesce(batchShape, [batchA, batchB]);
  const params: Params = { M: ['u32', M], N: ['u32', N], K: ['u32', K] };
  let batchIndex = 'var aBase = 0u; var bBase = 0u;\n';
  if (dims.length > 0) {
    batchIndex += 'var rem = bz;\n';
    for (let d = dims.length - 1; d >= 0; d--) {
      params[`bd${d}`] = ['u32', dims[d]!];
      params[`ba${d}`] = ['u32', strides[0]![d]!];
      params[`bb${d}`] = ['u32', strides[1]![d]!];
      batchIndex += `{ let c = rem % u.bd${d}; rem = rem / u.bd${d}; aBase += c * u.ba${d}; bBase += c * u.bb${d}; }\n`;
    }
    batchIndex += 'aBase = aBase * u.M * u.K; bBase = bBase * u.K * u.N;\n';
  }
  return { M, N, K, batch, outShape: [...batchShape, M, N], tA, tB, params, batchIndex };
}

import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { BINARY_OPS, UNARY_OPS } from '../kernel-spec.js';
import { uploadInput } from './host-data.js';
import type { ConformanceCase, ErrorCase, HostInput, InputSpec, InputValues } from './types.js';

/**
 * The conformance cases of every kernel: seeded random inputs on edge shapes
 * (size-0 and size-1 dims, broadcasting, non-square, odd sizes, long
 * reductions). Every kernel of KERNEL_SPECS has at least one case; a test
 * checks that.
 */

const f = (shape: number[], values?: InputValues, dtype?: DType): InputSpec => ({ shape, values, dtype });
const idx = (shape: number[], high: number, low = 0): InputSpec => ({
  shape,
  dtype: 'int32',
  values: { ints: [low, high] },
});
const u = (low: number, high: number): InputValues => ({ uniform: [low, high] });

const BINARY_SHAPES: [string, number[], number[]][] = [
  ['same shape [7, 13]', [7, 13], [7, 13]],
  ['rank-0 with [4, 5]', [], [4, 5]],
  ['[4, 5] with rank-0', [4, 5], []],
  ['broadcast [2, 1, 3] with [4, 1]', [2, 1, 3], [4, 1]],
  ['outer [3, 1] with [1, 5]', [3, 1], [1, 5]],
  ['size-0 [0, 3] with [3]', [0, 3], [3]],
  ['size-1 [1] with [1]', [1], [1]],
  ['odd [1001]', [1001], [1001]],
  ['row broadcast [6, 33] with [33]', [6, 33], [33]],
];

function binaryValues(op: string): [InputValues, InputValues] {
  switch (op) {
    case 'div':
      return [u(-2, 2), u(0.5, 2)];
    case 'pow':
      return [u(0.1, 3), u(-2, 2)];
    case 'equal':
    case 'notEqual':
    case 'greater':
    case 'greaterEqual':
    case 'less':
    case 'lessEqual':
    case 'maximum':
    case 'minimum':
      return [{ ints: [-2, 3] }, { ints: [-2, 3] }]; // ties happen
    default:
      return [u(-2, 2), u(-2, 2)];
  }
}

function unaryValues(op: string): InputValues {
  switch (op) {
    case 'log':
    case 'sqrt':
    case 'rsqrt':
    case 'reciprocal':
      return u(0.01, 10);
    case 'exp':
    case 'tanh':
    case 'sigmoid':
    case 'silu':
      return u(-10, 10);
    case 'isNaN':
    case 'isInf':
    case 'relu':
    case 'abs':
    case 'neg':
      return { values: [1, NaN, Infinity, -Infinity, 0, -2.5, 3.25] };
    default:
      return u(-3, 3);
  }
}

function matmulCase(
  name: string,
  a: number[],
  b: number[],
  transposeA = false,
  transposeB = false,
  bDtype?: DType,
): ConformanceCase {
  const k = transposeA ? a[a.length - 2] : a[a.length - 1];
  // float32 accumulation of k products of magnitude <= 1.
  return {
    name,
    inputs: [f(a), f(b, undefined, bDtype)],
    attrs: { transposeA, transposeB },
    tolerance: { atol: 1e-6 * (k + 8), rtol: 1e-5 },
  };
}

interface AttentionCaseSpec {
  b: number;
  hq: number;
  hkv: number;
  t: number;
  s: number;
  d: number;
  causal: boolean;
  queryOffset?: number;
  segments?: number[];
}

const ATTENTION: [string, AttentionCaseSpec][] = [
  ['full attention, T != S', { b: 2, hq: 2, hkv: 2, t: 5, s: 7, d: 4, causal: false }],
  ['causal, GQA 4:2, 70 rows (crosses a 64-row block)', { b: 1, hq: 4, hkv: 2, t: 70, s: 70, d: 16, causal: true }],
  ['decode: 1 query against 33 cached keys, GQA 4:1', { b: 2, hq: 4, hkv: 1, t: 1, s: 33, d: 8, causal: true }],
  [
    'chunked prefill with an explicit queryOffset',
    { b: 1, hq: 2, hkv: 1, t: 3, s: 8, d: 6, causal: true, queryOffset: 2 },
  ],
  [
    'packed sequences (segment ids), causal',
    {
      b: 2,
      hq: 2,
      hkv: 1,
      t: 12,
      s: 12,
      d: 5,
      causal: true,
      segments: [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 9, 9, 9, 9, 9],
    },
  ],
  ['size-1 dims', { b: 1, hq: 1, hkv: 1, t: 1, s: 1, d: 1, causal: true }],
  ['size-0 batch', { b: 0, hq: 2, hkv: 1, t: 3, s: 3, d: 4, causal: true }],
  ['size-0 queries', { b: 1, hq: 2, hkv: 1, t: 0, s: 4, d: 4, causal: false }],
  ['size-0 keys (no key: zero output, lse -Infinity)', { b: 1, hq: 2, hkv: 2, t: 3, s: 0, d: 4, causal: false }],
];

function attentionInputs(c: AttentionCaseSpec): InputSpec[] {
  const inputs = [f([c.b, c.hq, c.t, c.d], u(-2, 2)), f([c.b, c.hkv, c.s, c.d], u(-2, 2)), f([c.b, c.hkv, c.s, c.d])];
  if (c.segments) inputs.push({ shape: [c.b, c.s], dtype: 'int32', values: { values: c.segments } });
  return inputs;
}

const attentionAttrs = (c: AttentionCaseSpec) => ({
  scale: 1 / Math.sqrt(Math.max(c.d, 1)),
  causal: c.causal,
  queryOffset: c.queryOffset,
});

/** attentionGrad needs attention's out and lse: computed on the reference backend from the generated q, k, v. */
function withForward(c: AttentionCaseSpec) {
  return async (inputs: HostInput[], reference: Backend): Promise<HostInput[]> => {
    const [dOut, q, k, v, seg] = inputs;
    const infos = [q, k, v, ...(seg ? [seg] : [])].map((h) => uploadInput(reference, h));
    const [out, lse] = reference.run('attention', infos, attentionAttrs(c));
    const outData = (await reference.read(out.storage)) as Float32Array;
    const lseData = (await reference.read(lse.storage)) as Float32Array;
    for (const info of [...infos, out, lse]) reference.release(info.storage);
    const derived: HostInput[] = [
      dOut,
      q,
      k,
      v,
      { data: outData, shape: [...out.shape], dtype: 'float32' },
      { data: lseData, shape: [...lse.shape], dtype: 'float32' },
    ];
    if (seg) derived.push(seg);
    return derived;
  };
}

const REDUCE_CASES = (op: 'sum' | 'mean' | 'max'): ConformanceCase[] => {
  const long = op === 'sum' ? { atol: 2e-3, rtol: 1e-5 } : op === 'mean' ? { atol: 1e-6, rtol: 1e-5 } : undefined;
  return [
    { name: 'middle axis of [3, 4, 5]', inputs: [f([3, 4, 5])], attrs: { axes: [1] } },
    { name: 'scattered axes [0, 2] of [3, 4, 5]', inputs: [f([3, 4, 5])], attrs: { axes: [0, 2] } },
    { name: 'negative axis, keepDims', inputs: [f([3, 4, 5])], attrs: { axes: [-1], keepDims: true } },
    { name: 'all axes to a scalar', inputs: [f([3, 4, 5])], attrs: { axes: [0, 1, 2] } },
    { name: 'no axes (a copy)', inputs: [f([3, 4])], attrs: { axes: [] } },
    // 100k uniform(-1, 1) terms: float32 partial sums reach ~1e2, so order-dependent error ~1e-3.
    { name: '100k elements to one (long reduction)', inputs: [f([100_000])], attrs: { axes: [0] }, tolerance: long },
    {
      name: 'columns of [1000, 37] (strided)',
      inputs: [f([1000, 37])],
      attrs: { axes: [0] },
      tolerance: { atol: 1e-4, rtol: 1e-5 },
    },
    { name: 'size-1 dims [1, 1]', inputs: [f([1, 1])], attrs: { axes: [1] } },
    {
      name: 'reduce an empty axis of [4, 0] (sum 0, mean NaN, max -Infinity)',
      inputs: [f([4, 0])],
      attrs: { axes: [1] },
    },
    { name: 'size-0 kept dim [0, 4]', inputs: [f([0, 4])], attrs: { axes: [1] } },
  ];
};

function softmaxLike(values: InputValues, keepDims = false): ConformanceCase[] {
  const extra = keepDims ? { keepDims: true } : {};
  return [
    { name: 'last axis of [4, 10]', inputs: [f([4, 10], values)], attrs: { axis: -1, ...extra } },
    { name: 'middle axis of [3, 5, 7]', inputs: [f([3, 5, 7], values)], attrs: { axis: 1, ...extra } },
    { name: 'size-1 [1, 1]', inputs: [f([1, 1], values)], attrs: { axis: 0, ...extra } },
    { name: 'empty rows [2, 0]', inputs: [f([2, 0], values)], attrs: { axis: 1, ...extra } },
    { name: 'no rows [0, 5]', inputs: [f([0, 5], values)], attrs: { axis: 1, ...extra } },
    {
      name: 'vocabulary-sized rows [4, 30000], logits in [-20, 20]',
      inputs: [f([4, 30_000], u(-20, 20))],
      attrs: { axis: 1, ...extra },
    },
  ];
}

function softmaxGradCases(y: InputValues): ConformanceCase[] {
  return [
    { name: 'last axis of [4, 10]', inputs: [f([4, 10]), f([4, 10], y)], attrs: { axis: -1 } },
    { name: 'first axis of [6, 3]', inputs: [f([6, 3]), f([6, 3], y)], attrs: { axis: 0 } },
    { name: 'size-0 [0, 4]', inputs: [f([0, 4]), f([0, 4], y)], attrs: { axis: 1 } },
    {
      name: 'long rows [2, 5000]',
      inputs: [f([2, 5000]), f([2, 5000], y)],
      attrs: { axis: 1 },
      tolerance: { atol: 1e-4, rtol: 1e-4 },
    },
  ];
}

const RMS_SHAPES: number[][] = [
  [4, 16],
  [2, 3, 64],
  [1, 1],
  [0, 8],
  [3, 1000],
];

export const CONFORMANCE_CASES: Readonly<Record<string, ConformanceCase[]>> = {
  ...Object.fromEntries(
    BINARY_OPS.map((op) => {
      const [va, vb] = binaryValues(op);
      return [op, BINARY_SHAPES.map(([name, a, b]) => ({ name, inputs: [f(a, va), f(b, vb)] }))];
    }),
  ),
  ...Object.fromEntries(
    UNARY_OPS.map((op) => [
      op,
      [[0], [1], [1000], [3, 5, 7]].map((shape) => ({
        name: `[${shape.join(', ')}]`,
        inputs: [f(shape, unaryValues(op))],
      })),
    ]),
  ),
  scalarOp: [
    { name: 'x + 2.5', inputs: [f([4, 5])], attrs: { op: 'add', scalar: 2.5 } },
    { name: '1 - x (reverse)', inputs: [f([4, 5])], attrs: { op: 'sub', scalar: 1, reverse: true } },
    { name: 'x * 0.1 (scalar rounded to float32)', inputs: [f([33])], attrs: { op: 'mul', scalar: 0.1 } },
    { name: '1 / x (reverse div)', inputs: [f([4, 5], u(0.5, 2))], attrs: { op: 'div', scalar: 1, reverse: true } },
    { name: 'x ^ 2.5', inputs: [f([17], u(0.1, 3))], attrs: { op: 'pow', scalar: 2.5 } },
    { name: '2 ^ x (reverse pow)', inputs: [f([17], u(-3, 3))], attrs: { op: 'pow', scalar: 2, reverse: true } },
    { name: 'maximum(x, 0)', inputs: [f([17])], attrs: { op: 'maximum', scalar: 0 } },
    { name: 'x > 0.5', inputs: [f([17])], attrs: { op: 'greater', scalar: 0.5 } },
    { name: 'size-0', inputs: [f([0, 3])], attrs: { op: 'mul', scalar: 3 } },
  ],
  siluGrad: [[257], [3, 4], [0]].map((shape) => ({
    name: `[${shape.join(', ')}]`,
    inputs: [f(shape), f(shape, u(-8, 8))],
  })),
  matmul: [
    matmulCase('1x1 by 1x1', [1, 1], [1, 1]),
    matmulCase('non-square 5x7 by 7x3', [5, 7], [7, 3]),
    matmulCase('transposeA', [7, 5], [7, 3], true, false),
    matmulCase('transposeB', [5, 7], [3, 7], false, true),
    matmulCase('both transposed', [7, 5], [3, 7], true, true),
    matmulCase('odd sizes 65x63 by 63x67', [65, 63], [63, 67]),
    matmulCase('batched [2, 3, 4, 5] by shared [5, 6] (a linear layer)', [2, 3, 4, 5], [5, 6]),
    matmulCase('broadcast batch [2, 1, 3, 4] by [1, 5, 4, 2]', [2, 1, 3, 4], [1, 5, 4, 2]),
    matmulCase(
      'batched, transposeB (attention scores) [2, 3, 9, 8] by [2, 3, 11, 8]',
      [2, 3, 9, 8],
      [2, 3, 11, 8],
      false,
      true,
    ),
    matmulCase('batched transposeA (weight gradient) [3, 10, 4] by [3, 10, 6]', [3, 10, 4], [3, 10, 6], true, false),
    matmulCase('larger 128x256 by 256x96', [128, 256], [256, 96]),
    matmulCase('size-0 rows [0, 3] by [3, 4]', [0, 3], [3, 4]),
    matmulCase('K = 0 gives zeros: [2, 0] by [0, 3]', [2, 0], [0, 3]),
    matmulCase('size-0 batch [0, 2, 3] by [3, 4]', [0, 2, 3], [3, 4]),
    // A half-precision weight, as decoding multiplies it (a few rows by b [N, K] transposed) and as a GEMM.
    matmulCase('bfloat16 b, one row by [67, 45] transposed', [1, 45], [67, 45], false, true, 'bfloat16'),
    matmulCase('float16 b, batched [2, 3, 40] by [33, 40] transposed', [2, 3, 40], [33, 40], false, true, 'float16'),
    matmulCase('bfloat16 b, 20 rows by [24, 16] transposed', [20, 24], [16, 24], false, true, 'bfloat16'),
    matmulCase('float16 b, [5, 9] by [9, 7]', [5, 9], [9, 7], false, false, 'float16'),
  ],
  sum: REDUCE_CASES('sum'),
  mean: REDUCE_CASES('mean'),
  max: REDUCE_CASES('max'),
  argmax: [
    { name: 'last axis of [5, 7]', inputs: [f([5, 7])], attrs: { axis: 1 } },
    { name: 'first axis of [5, 7]', inputs: [f([5, 7])], attrs: { axis: 0 } },
    { name: 'ties: the first maximum wins', inputs: [f([4, 50], { ints: [0, 3] })], attrs: { axis: -1 } },
    { name: '100k elements', inputs: [f([100_000])], attrs: { axis: 0 } },
    { name: 'size-1 axis', inputs: [f([3, 1])], attrs: { axis: 1 } },
    { name: 'size-0 kept dim', inputs: [f([0, 5])], attrs: { axis: 1 } },
  ],
  softmax: softmaxLike(u(-5, 5)),
  logSoftmax: softmaxLike(u(-5, 5)),
  logSumExp: [
    ...softmaxLike(u(-5, 5)),
    ...softmaxLike(u(-5, 5), true)
      .slice(0, 2)
      .map((c) => ({ ...c, name: `${c.name}, keepDims` })),
  ],
  softmaxGrad: softmaxGradCases(u(0, 1)),
  logSoftmaxGrad: softmaxGradCases(u(-10, 0)),
  rmsNorm: RMS_SHAPES.map((shape) => ({
    name: `[${shape.join(', ')}]`,
    inputs: [f(shape, u(-3, 3)), f([shape[shape.length - 1]], u(0.5, 1.5))],
    attrs: { eps: 1e-6 },
  })),
  rmsNormGrad: RMS_SHAPES.map((shape) => ({
    name: `[${shape.join(', ')}]`,
    inputs: [f(shape), f(shape, u(-3, 3)), f([shape[shape.length - 1]], u(0.5, 1.5))],
    attrs: { eps: 1e-6 },
  })),
  rope: [
    {
      name: 'Qwen3 theta 1e6, positions up to 2048',
      inputs: [f([2, 3, 5, 8]), idx([2, 5], 2048)],
      attrs: { theta: 1_000_000 },
    },
    {
      name: 'theta 1e4, D = 16, small positions',
      inputs: [f([1, 2, 4, 16]), idx([1, 4], 16)],
      attrs: { theta: 10_000 },
    },
    {
      name: 'inverse (the gradient)',
      inputs: [f([2, 2, 3, 6]), idx([2, 3], 512)],
      attrs: { theta: 10_000, inverse: true },
    },
    { name: 'D = 2, size-1 dims', inputs: [f([1, 1, 1, 2]), idx([1, 1], 100)], attrs: { theta: 10_000 } },
    { name: 'size-0 batch', inputs: [f([0, 2, 3, 4]), idx([0, 3], 10)], attrs: { theta: 10_000 } },
  ],
  attention: ATTENTION.map(([name, c]) => ({ name, inputs: attentionInputs(c), attrs: attentionAttrs(c) })),
  attentionGrad: ATTENTION.map(([name, c]) => ({
    name,
    inputs: [f([c.b, c.hq, c.t, c.d]), ...attentionInputs(c)],
    attrs: attentionAttrs(c),
    prepare: withForward(c),
  })),
  gatherRows: [
    { name: 'table [50, 8], indices [3, 7]', inputs: [f([50, 8]), idx([3, 7], 50)] },
    { name: 'bfloat16 table keeps its dtype', inputs: [f([10, 4], undefined, 'bfloat16'), idx([6], 10)] },
    { name: 'size-1 table', inputs: [f([1, 1]), idx([1], 1)] },
    { name: 'no indices', inputs: [f([5, 3]), idx([0], 5)] },
    { name: 'zero-width rows', inputs: [f([5, 0]), idx([4], 5)] },
  ],
  scatterAddRows: [
    { name: 'repeated indices accumulate', inputs: [f([3, 7, 8]), idx([3, 7], 10)], attrs: { numRows: 10 } },
    { name: 'size-1', inputs: [f([1, 1]), idx([1], 1)], attrs: { numRows: 1 } },
    { name: 'no updates', inputs: [f([0, 4]), idx([0], 3)], attrs: { numRows: 3 } },
    { name: 'zero rows, zero updates', inputs: [f([0, 4]), idx([0], 1)], attrs: { numRows: 0 } },
  ],
  takeAlongAxis: [
    { name: 'targets of [4, 1000] logits', inputs: [f([4, 1000]), idx([4], 1000)] },
    { name: 'rank 3 [2, 3, 5]', inputs: [f([2, 3, 5]), idx([2, 3], 5)] },
    { name: 'rank 1 to a scalar', inputs: [f([7]), idx([], 7)] },
    { name: 'size-0 rows', inputs: [f([0, 5]), idx([0], 5)] },
  ],
  putAlongAxis: [
    { name: 'into [4, 1000]', inputs: [f([4]), idx([4], 1000)], attrs: { size: 1000 } },
    { name: 'rank 2 updates into [2, 3, 5]', inputs: [f([2, 3]), idx([2, 3], 5)], attrs: { size: 5 } },
    { name: 'scalar into [7]', inputs: [f([]), idx([], 7)], attrs: { size: 7 } },
    { name: 'size-0 rows', inputs: [f([0]), idx([0], 3)], attrs: { size: 3 } },
  ],
  where: [
    { name: 'same shapes [5, 6]', inputs: [f([5, 6], { ints: [0, 2] }), f([5, 6]), f([5, 6])] },
    { name: 'broadcast [2, 3, 4], [3, 1], rank-0', inputs: [f([2, 3, 4], { ints: [0, 2] }), f([3, 1]), f([])] },
    { name: 'mask [1, 4] over [3, 4] (masking)', inputs: [f([1, 4], { ints: [0, 2] }), f([3, 4]), f([3, 4])] },
    { name: 'size-0', inputs: [f([0, 3], { ints: [0, 2] }), f([3]), f([1])] },
  ],
  transpose: [
    { name: '[2, 3, 4] by [2, 0, 1]', inputs: [f([2, 3, 4])], attrs: { perm: [2, 0, 1] } },
    { name: 'matrix [5, 7]', inputs: [f([5, 7])], attrs: { perm: [1, 0] } },
    { name: 'heads [2, 3, 4, 5] by [0, 2, 1, 3]', inputs: [f([2, 3, 4, 5])], attrs: { perm: [0, 2, 1, 3] } },
    { name: 'int32 values', inputs: [idx([3, 4], 100)], attrs: { perm: [1, 0] } },
    { name: 'size-1 dims', inputs: [f([1, 1, 1])], attrs: { perm: [2, 1, 0] } },
    { name: 'size-0', inputs: [f([0, 3])], attrs: { perm: [1, 0] } },
    { name: 'rank 1', inputs: [f([3])], attrs: { perm: [0] } },
  ],
  slice: [
    { name: '[5, 7] from [1, 2], size [3, -1]', inputs: [f([5, 7])], attrs: { begin: [1, 2], size: [3, -1] } },
    { name: 'rank 3', inputs: [f([2, 3, 4])], attrs: { begin: [0, 1, 0], size: [2, 1, 4] } },
    { name: 'int32 values', inputs: [idx([4, 4], 100)], attrs: { begin: [1, 1], size: [2, 2] } },
    { name: 'size-0 result', inputs: [f([4])], attrs: { begin: [2], size: [0] } },
    { name: 'size-0 input', inputs: [f([0, 3])], attrs: { begin: [0, 1], size: [-1, 2] } },
  ],
  sliceGrad: [
    { name: '[3, 5] into [5, 7] at [1, 2]', inputs: [f([3, 5])], attrs: { begin: [1, 2], inputShape: [5, 7] } },
    { name: 'rank 3', inputs: [f([2, 1, 4])], attrs: { begin: [0, 2, 0], inputShape: [2, 3, 4] } },
    { name: 'size-0 dy', inputs: [f([0, 2])], attrs: { begin: [1, 0], inputShape: [3, 2] } },
  ],
  concat: [
    { name: 'axis 1 with a size-0 part', inputs: [f([2, 2]), f([2, 0]), f([2, 3])], attrs: { axis: 1 } },
    { name: 'axis 0', inputs: [f([1, 3]), f([4, 3])], attrs: { axis: 0 } },
    { name: 'axis -2 of rank 3 (a KV cache append)', inputs: [f([2, 3, 4]), f([2, 1, 4])], attrs: { axis: -2 } },
    { name: 'a single input', inputs: [f([3, 3])], attrs: { axis: 0 } },
    { name: 'int32 values', inputs: [idx([2], 9), idx([3], 9)], attrs: { axis: 0 } },
  ],
  cast: [
    {
      name: 'float32 to float16 (edge values)',
      inputs: [f([9], { values: [1, 0.1, 65504, 65520, 2 ** -24, 2 ** -25, -0, NaN, -1e9] })],
      attrs: { dtype: 'float16' },
    },
    { name: 'float32 to bfloat16', inputs: [f([100], u(-1e4, 1e4))], attrs: { dtype: 'bfloat16' } },
    { name: 'float32 to int32 truncates toward zero', inputs: [f([50], u(-100, 100))], attrs: { dtype: 'int32' } },
    { name: 'int32 to float32', inputs: [idx([50], 1000, -1000)], attrs: { dtype: 'float32' } },
    { name: 'float16 to float32', inputs: [f([40], u(-10, 10), 'float16')], attrs: { dtype: 'float32' } },
    { name: 'bfloat16 to float16', inputs: [f([40], u(-10, 10), 'bfloat16')], attrs: { dtype: 'float16' } },
    { name: 'size-0', inputs: [f([0])], attrs: { dtype: 'bfloat16' } },
  ],
  copy: [
    { name: 'float32 [3, 4]', inputs: [f([3, 4])] },
    { name: 'int32', inputs: [idx([5], 100)] },
    { name: 'bfloat16', inputs: [f([5], undefined, 'bfloat16')] },
    { name: 'size-0', inputs: [f([0, 2])] },
  ],
  fill: [
    { name: 'float32 [3, 4]', inputs: [], attrs: { shape: [3, 4], value: 1.5 } },
    { name: 'int32', inputs: [], attrs: { shape: [5], value: -7, dtype: 'int32' } },
    { name: 'bfloat16 rounds the value', inputs: [], attrs: { shape: [2], value: 0.1, dtype: 'bfloat16' } },
    { name: '-Infinity (a mask)', inputs: [], attrs: { shape: [3], value: -Infinity } },
    { name: 'rank 0', inputs: [], attrs: { shape: [], value: 3 } },
    { name: 'size-0', inputs: [], attrs: { shape: [0, 3], value: 1 } },
  ],
  randomUniform: [
    { name: '[1000], seed 1', inputs: [], attrs: { shape: [1000], seed: 1 } },
    {
      name: '[3, 7] in [-3, 5), a seed above 2^32',
      inputs: [],
      attrs: { shape: [3, 7], seed: 2 ** 40 + 5, low: -3, high: 5 },
    },
    { name: 'size-1', inputs: [], attrs: { shape: [1], seed: 9 } },
    { name: 'size-0', inputs: [], attrs: { shape: [0], seed: 9 } },
  ],
  randomNormal: [
    { name: '[1001] (odd length), seed 3', inputs: [], attrs: { shape: [1001], seed: 3 } },
    { name: 'mean 2, std 0.5', inputs: [], attrs: { shape: [4, 5], seed: 77, mean: 2, std: 0.5 } },
    { name: 'size-0', inputs: [], attrs: { shape: [0], seed: 3 } },
  ],
  adamw: [
    {
      name: 'first step with weight decay',
      inputs: [f([1000]), f([1000]), f([1000], u(-0.1, 0.1)), f([1000], u(0, 0.01))],
      attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 },
      compareInputs: [0, 2, 3],
    },
    {
      name: 'step 10, no weight decay',
      inputs: [f([33]), f([33]), f([33], u(-0.1, 0.1)), f([33], u(0, 0.01))],
      attrs: { lr: 1e-2, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0, step: 10 },
      compareInputs: [0, 2, 3],
    },
    {
      name: 'size-0',
      inputs: [f([0]), f([0]), f([0]), f([0])],
      attrs: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 },
      compareInputs: [0, 2, 3],
    },
  ],
};

/** Shape errors every backend must raise synchronously from run(), naming the kernel. */
export const ERROR_CASES: readonly ErrorCase[] = [
  { kernel: 'add', name: 'shapes that do not broadcast', inputs: [f([2, 3]), f([4])] },
  { kernel: 'matmul', name: 'inner dimensions that differ', inputs: [f([2, 3]), f([4, 5])] },
  { kernel: 'sum', name: 'an axis out of range', inputs: [f([2, 3])], attrs: { axes: [2] } },
  {
    kernel: 'attention',
    name: 'query heads not a multiple of KV heads',
    inputs: [f([1, 3, 2, 4]), f([1, 2, 2, 4]), f([1, 2, 2, 4])],
    attrs: { scale: 1, causal: true },
  },
  { kernel: 'rope', name: 'an odd head dim', inputs: [f([1, 1, 2, 3]), idx([1, 2], 4)], attrs: { theta: 10_000 } },
  { kernel: 'rmsNorm', name: 'a weight of the wrong length', inputs: [f([2, 4]), f([3])], attrs: { eps: 1e-6 } },
  { kernel: 'concat', name: 'parts that differ outside the axis', inputs: [f([2, 2]), f([3, 3])], attrs: { axis: 0 } },
  { kernel: 'slice', name: 'a slice past the end', inputs: [f([4])], attrs: { begin: [2], size: [3] } },
];

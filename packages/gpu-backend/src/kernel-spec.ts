/**
 * The kernel set every backend implements (or explicitly declares missing in
 * the registry). This file is the contract between the tensor layer and the
 * backends: names, inputs, attributes, outputs. Shapes are row-major and
 * contiguous; `[..., M, K]` means any number of leading batch dims.
 *
 * Conventions:
 * - Float inputs are float32 unless a kernel says otherwise; index inputs are int32.
 * - Axes may be negative (counted from the end).
 * - Binary elementwise kernels broadcast with NumPy rules.
 * - Backward kernels are named `<forward>Grad` and take the upstream gradient first.
 */

/** The binary elementwise kernels, in contract order. */
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'maximum',
  'minimum',
  'pow',
  'equal',
  'notEqual',
  'greater',
  'greaterEqual',
  'less',
  'lessEqual',
] as const;

export type BinaryOp = (typeof BINARY_OPS)[number];

/** The unary elementwise kernels, in contract order. */
export const UNARY_OPS = [
  'neg',
  'abs',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'silu',
  'sigmoid',
  'tanh',
  'relu',
  'isNaN',
  'isInf',
] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];

export interface KernelSpec {
  name: string;
  inputs: string;
  attrs: string;
  outputs: string;
  /** True where the kernel writes into one of its inputs instead of returning a new storage. */
  inPlace?: boolean;
}

const BINARY: KernelSpec[] = BINARY_OPS.map((name) => ({
  name,
  inputs: 'a, b (broadcastable)',
  attrs: '-',
  outputs: 'broadcast(a, b); comparisons give 1 or 0 as float32',
}));

const UNARY: KernelSpec[] = UNARY_OPS.map((name) => ({
  name,
  inputs: 'x',
  attrs: '-',
  outputs: 'same shape as x (isNaN/isInf give 1 or 0)',
}));

export const KERNEL_SPECS: readonly KernelSpec[] = [
  ...BINARY,
  ...UNARY,
  {
    name: 'scalarOp',
    inputs: 'x',
    attrs: '{ op: BinaryOp, scalar: number, reverse?: boolean }',
    outputs: 'op(x, scalar), or op(scalar, x) when reverse',
  },
  {
    name: 'siluGrad',
    inputs: 'dy, x',
    attrs: '-',
    outputs: 'dy * d/dx silu(x)',
  },
  {
    name: 'matmul',
    inputs: 'a [..., M, K] (or [..., K, M] if transposeA), b [..., K, N] (or [..., N, K] if transposeB)',
    attrs: '{ transposeA?: boolean, transposeB?: boolean }',
    outputs: '[...broadcast(batchA, batchB), M, N]',
  },
  {
    name: 'sum',
    inputs: 'x',
    attrs: '{ axes: number[], keepDims?: boolean }',
    outputs: 'x reduced over axes (an empty axes list reduces nothing: a copy)',
  },
  { name: 'mean', inputs: 'x', attrs: '{ axes: number[], keepDims?: boolean }', outputs: 'x averaged over axes' },
  { name: 'max', inputs: 'x', attrs: '{ axes: number[], keepDims?: boolean }', outputs: 'maximum over axes' },
  {
    name: 'argmax',
    inputs: 'x',
    attrs: '{ axis: number }',
    outputs: 'int32 index of the first maximum along axis (axis removed)',
  },
  { name: 'softmax', inputs: 'x', attrs: '{ axis: number }', outputs: 'softmax along axis' },
  { name: 'logSoftmax', inputs: 'x', attrs: '{ axis: number }', outputs: 'log-softmax along axis' },
  {
    name: 'logSumExp',
    inputs: 'x',
    attrs: '{ axis: number, keepDims?: boolean }',
    outputs: 'log(sum(exp(x))) along axis, computed stably',
  },
  {
    name: 'softmaxGrad',
    inputs: 'dy, y (= softmax output)',
    attrs: '{ axis: number }',
    outputs: 'y * (dy - sum(dy * y))',
  },
  {
    name: 'logSoftmaxGrad',
    inputs: 'dy, y (= logSoftmax output)',
    attrs: '{ axis: number }',
    outputs: 'dy - exp(y) * sum(dy)',
  },
  {
    name: 'rmsNorm',
    inputs: 'x [..., D], weight [D]',
    attrs: '{ eps: number }',
    outputs: 'x / sqrt(mean(x^2) + eps) * weight',
  },
  {
    name: 'rmsNormGrad',
    inputs: 'dy [..., D], x [..., D], weight [D]',
    attrs: '{ eps: number }',
    outputs: 'dx [..., D], dweight [D]',
  },
  {
    name: 'rope',
    inputs: 'x [B, H, T, D] (D even), positions int32 [B, T]',
    attrs: '{ theta: number, inverse?: boolean }',
    outputs:
      'rotate-half rotary embedding (HF convention: pairs (i, i + D/2), inv_freq_i = theta^(-2i/D)); inverse rotates by -angle (the gradient)',
  },
  {
    name: 'attention',
    inputs:
      'q [B, Hq, T, D], k [B, Hkv, S, D], v [B, Hkv, S, D] (Hq % Hkv == 0), optional segmentIds int32 [B, S] (packed sequences; query i sees key j only if same segment)',
    attrs:
      '{ scale: number, causal: boolean, queryOffset?: number (absolute position of query 0 among the S keys, default S - T) }',
    outputs: 'out [B, Hq, T, D], lse float32 [B, Hq, T] (row log-sum-exp of scaled scores, for the backward)',
  },
  {
    name: 'attentionGrad',
    inputs: 'dOut [B, Hq, T, D], q, k, v, out, lse, optional segmentIds',
    attrs: 'same as attention',
    outputs: 'dq [B, Hq, T, D], dk [B, Hkv, S, D], dv [B, Hkv, S, D]',
  },
  {
    name: 'gatherRows',
    inputs: 'table [R, C], indices int32 [...N]',
    attrs: '-',
    outputs: '[...N, C]: table rows at indices (embedding lookup); an index out of range is an error',
  },
  {
    name: 'scatterAddRows',
    inputs: 'updates [...N, C], indices int32 [...N]',
    attrs: '{ numRows: number }',
    outputs: '[numRows, C] zeros with updates added at indices (embedding gradient)',
  },
  {
    name: 'takeAlongAxis',
    inputs: 'x [..., V], indices int32 [...]',
    attrs: '-',
    outputs: '[...]: x[..., indices[...]] (per-row target pick, e.g. log-prob of the target token)',
  },
  {
    name: 'putAlongAxis',
    inputs: 'updates [...], indices int32 [...]',
    attrs: '{ size: number }',
    outputs: '[..., size] zeros with updates placed at indices (gradient of takeAlongAxis)',
  },
  {
    name: 'where',
    inputs: 'cond, a, b (broadcastable; cond is nonzero = true)',
    attrs: '-',
    outputs: 'broadcast shape: cond ? a : b',
  },
  { name: 'transpose', inputs: 'x', attrs: '{ perm: number[] }', outputs: 'x permuted (a contiguous copy)' },
  {
    name: 'slice',
    inputs: 'x',
    attrs: '{ begin: number[], size: number[] }',
    outputs: 'x[begin : begin + size] per axis (size -1 = to the end)',
  },
  {
    name: 'sliceGrad',
    inputs: 'dy',
    attrs: '{ begin: number[], inputShape: number[] }',
    outputs: 'zeros of inputShape with dy written at begin (pad)',
  },
  {
    name: 'concat',
    inputs: 'x0, x1, ... (equal except along axis)',
    attrs: '{ axis: number }',
    outputs: 'concatenation',
  },
  {
    name: 'cast',
    inputs: 'x',
    attrs: '{ dtype: DType }',
    outputs: 'x converted (float32 <-> float16/bfloat16 round-to-nearest-even; float <-> int32 truncates toward zero)',
  },
  { name: 'copy', inputs: 'x', attrs: '-', outputs: 'a new storage with the same contents' },
  { name: 'fill', inputs: '-', attrs: '{ shape: number[], value: number, dtype?: DType }', outputs: 'a filled tensor' },
  {
    name: 'randomUniform',
    inputs: '-',
    attrs: '{ shape: number[], seed: number, low?: number, high?: number }',
    outputs:
      'counter-based (Philox4x32-10 on (seed, element index)): identical streams on every backend; [low, high), default [0, 1)',
  },
  {
    name: 'randomNormal',
    inputs: '-',
    attrs: '{ shape: number[], seed: number, mean?: number, std?: number }',
    outputs: 'Box-Muller over the randomUniform stream of the same seed',
  },
  {
    name: 'adamw',
    inputs: 'param, grad, m, v (same shape, float32)',
    attrs:
      '{ lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number (1-based, for bias correction) }',
    outputs: 'none: updates param, m, v in place (decoupled weight decay, PyTorch AdamW semantics)',
    inPlace: true,
  },
];

export const KERNEL_NAMES: readonly string[] = KERNEL_SPECS.map((k) => k.name);

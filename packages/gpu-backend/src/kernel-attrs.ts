/**
 * Attribute types of the kernels of the contract (see kernel-spec.ts), shared
 * by every backend. Kernels whose attributes come with host-side math keep
 * them beside it in kernel-math/ (attention, rope, slice, concat, AdamW, random).
 */
import type { DType } from './dtype.js';
import type { BinaryOp } from './kernel-spec.js';

export interface ScalarOpAttrs {
  op: BinaryOp;
  scalar: number;
  reverse?: boolean;
  [attr: string]: unknown;
}

export interface MatmulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  [attr: string]: unknown;
}

export interface ReduceAttrs {
  axes: number[];
  keepDims?: boolean;
  [attr: string]: unknown;
}

export interface ArgmaxAttrs {
  axis: number;
  [attr: string]: unknown;
}

/** softmax, logSoftmax, logSumExp and their gradients. */
export interface AxisAttrs {
  axis: number;
  keepDims?: boolean;
  [attr: string]: unknown;
}

export interface RmsNormAttrs {
  eps: number;
  [attr: string]: unknown;
}

export interface ScatterAddRowsAttrs {
  numRows: number;
  [attr: string]: unknown;
}

export interface PutAlongAxisAttrs {
  size: number;
  [attr: string]: unknown;
}

export interface TransposeAttrs {
  perm: number[];
  [attr: string]: unknown;
}

export interface CastAttrs {
  dtype: DType;
  [attr: string]: unknown;
}

export interface FillAttrs {
  shape: number[];
  value: number;
  dtype?: DType;
  [attr: string]: unknown;
}

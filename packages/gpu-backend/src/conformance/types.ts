import type { Backend, KernelAttrs } from '../backend.js';
import type { DType } from '../dtype.js';

/** How a case's input values are drawn (seeded, so every run sees the same data). */
export type InputValues =
  | { uniform: [low: number, high: number] }
  /** Integers in [low, high). */
  | { ints: [low: number, high: number] }
  /** Explicit values, repeated cyclically to fill the shape. */
  | { values: number[] };

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  /** Default: uniform in [-1, 1). */
  values?: InputValues;
}

/** |actual - expected| <= atol + rtol * |expected| elementwise; NaN matches NaN, infinities must be equal. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface HostInput {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: DType;
}

export interface ConformanceCase {
  /** What the case exercises, e.g. 'broadcast [2, 1, 3] with [4, 1]'. */
  name: string;
  inputs: InputSpec[];
  attrs?: KernelAttrs;
  /** Overrides the kernel's default tolerance (for a stated reason in the case name or table). */
  tolerance?: Tolerance;
  /** Inputs that an in-place kernel updates and that are compared after the run. */
  compareInputs?: number[];
  /** Derive further inputs from the generated ones on the reference backend (e.g. attention's out and lse for attentionGrad). */
  prepare?: (inputs: HostInput[], reference: Backend) => Promise<HostInput[]>;
}

/** A case that must be rejected synchronously by `run` with an error naming the kernel. */
export interface ErrorCase {
  kernel: string;
  name: string;
  inputs: InputSpec[];
  attrs?: KernelAttrs;
}

import type { Backend, KernelAttrs } from '../backend.js';
import type { ContractAttrs, KernelContract } from '../contract/kernel-contract.js';
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

export interface ConformanceCase<A = KernelAttrs> {
  /** What the case exercises, e.g. 'broadcast [2, 1, 3] with [4, 1]'. */
  name: string;
  inputs: InputSpec[];
  /** Typed by the kernel's contract (conformanceOf); `run` refuses a case that leaves out a required one. */
  attrs?: A;
  /** Overrides the kernel's tolerance, for a reason stated in the case's name or beside it. */
  tolerance?: Tolerance;
  /** Derive further inputs from the generated ones on the reference backend (e.g. attention's out and lse for attentionGrad). */
  prepare?: (inputs: HostInput[], reference: Backend) => Promise<HostInput[]>;
}

/** A call that `run` must reject synchronously with an error naming the kernel. */
export interface ErrorCase<A = KernelAttrs> {
  name: string;
  inputs: InputSpec[];
  attrs?: A;
}

/** A kernel's conformance cases: they live in the kernel's folder beside its contract (`cases.ts`). */
export interface KernelConformance<A = KernelAttrs> {
  readonly contract: KernelContract;
  /**
   * How far a backend may be from the reference (one of EXACT, ARITHMETIC,
   * TRANSCENDENTAL, ACCUMULATE, or a stated one). Required: the suite refuses
   * a kernel without one.
   */
  readonly tolerance: Tolerance;
  readonly cases: readonly ConformanceCase<A>[];
  /** Bad calls (shapes that do not fit) every backend must refuse. */
  readonly errors?: readonly ErrorCase<A>[];
}

/** The conformance of `contract`, its cases' attrs typed by the contract. */
export function conformanceOf<C extends KernelContract>(
  contract: C,
  definition: Omit<KernelConformance<ContractAttrs<C>>, 'contract'>,
): KernelConformance<ContractAttrs<C>> {
  return { contract, ...definition };
}

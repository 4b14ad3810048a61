/**
 * The conformance suite without a test runner ('@molrl/gpu-backend/conformance');
 * the vitest form is '@molrl/gpu-backend/conformance/vitest'.
 */
import { KERNEL_CONFORMANCE } from '../kernels/conformance.js';
import type { ConformanceCase, ErrorCase, Tolerance } from './types.js';

export { findMismatch } from './compare.js';
export { makeInput, seedOf, seededRandom, uploadInput } from './host-data.js';
export { floats, indices, uniform } from './inputs.js';
export { ACCUMULATE, ARITHMETIC, EXACT, TRANSCENDENTAL } from './tolerances.js';
export {
  conformanceOf,
  type ConformanceCase,
  type ErrorCase,
  type HostInput,
  type InputSpec,
  type InputValues,
  type KernelConformance,
  type Tolerance,
} from './types.js';
export {
  caseInputs,
  caseTolerance,
  compareOutcomes,
  executeCase,
  GUARD_ELEMENTS,
  type CaseOutcome,
} from './run-case.js';
export { checkCase, checkErrorCase, missingKernels, selectKernels, type ConformanceSelection } from './plan.js';
export { runConformance, type ConformanceResult, type RunConformanceOptions } from './runner.js';
export { KERNEL_CONFORMANCE } from '../kernels/conformance.js';

/** The cases of every kernel of the library, by kernel (each kernel folder's cases.ts). */
export const CONFORMANCE_CASES: Readonly<Record<string, readonly ConformanceCase[]>> = Object.fromEntries(
  KERNEL_CONFORMANCE.map((c) => [c.contract.name, c.cases]),
);

/** Every kernel's tolerance, by kernel. */
export const DEFAULT_TOLERANCES: Readonly<Record<string, Tolerance>> = Object.fromEntries(
  KERNEL_CONFORMANCE.map((c) => [c.contract.name, c.tolerance]),
);

/** The calls `run` must refuse, with the kernel they call. */
export const ERROR_CASES: readonly (ErrorCase & { kernel: string })[] = KERNEL_CONFORMANCE.flatMap((c) =>
  (c.errors ?? []).map((e) => ({ ...e, kernel: c.contract.name })),
);

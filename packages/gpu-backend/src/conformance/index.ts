export { CONFORMANCE_CASES, ERROR_CASES } from './cases.js';
export { findMismatch } from './compare.js';
export { makeInput, seedOf, seededRandom } from './host-data.js';
export { describeConformance, type ConformanceOptions } from './suite.js';
export { DEFAULT_TOLERANCES } from './tolerances.js';
export type { ConformanceCase, ErrorCase, HostInput, InputSpec, InputValues, Tolerance } from './types.js';
export { caseInputs, caseTolerance, compareOutcomes, executeCase, type CaseOutcome } from './run-case.js';
export { runConformance, type ConformanceResult, type RunConformanceOptions } from './runner.js';

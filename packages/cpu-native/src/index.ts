import { addon, type NativeInfo, type NativeIsa } from './addon.js';

export { sgemm, type BType, type ProductA, type SgemmParams } from './sgemm.js';
export { gemv, type GemvParams } from './gemv.js';
export { scaleAdd } from './elementwise.js';
export { dropout, type DropoutParams } from './dropout.js';
export {
  rmsNorm,
  rmsNormGrad,
  rmsNormRope,
  rmsNormRopeGrad,
  type RmsNormGradParams,
  type RmsNormParams,
  type RmsNormRopeGradParams,
  type RmsNormRopeParams,
  type RotaryAngles,
} from './rms-norm.js';
export type { NativeAddon, NativeInfo, NativeIsa } from './addon.js';

/** The micro-kernel, blocking and threads in use. */
export function nativeInfo(): NativeInfo {
  return addon.info();
}

/**
 * Threads one GEMM uses, the calling thread included (default: the processors this
 * process may run on). Starts or stops pool threads; returns the count in effect.
 */
export function setThreads(threads: number): number {
  return addon.setThreads(threads);
}

/**
 * Use the micro-kernel of `isa` ('auto': the fastest this CPU runs). An instruction
 * set the CPU lacks is an error. For tests and comparisons.
 */
export function setIsa(isa: NativeIsa | 'auto'): NativeInfo {
  return addon.setIsa(isa);
}

/**
 * Cache blocking (0 or absent keeps the default): k steps per block, rows and
 * columns of C per task, and the floats of packed operands one pass may hold
 * (default 16 Mi; larger problems are cut into passes).
 */
export function setBlocking(blocking: { kc?: number; mc?: number; nc?: number; passBudget?: number }): void {
  addon.setBlocking(blocking.kc ?? 0, blocking.mc ?? 0, blocking.nc ?? 0, blocking.passBudget ?? 0);
}

/** Free the packing buffers kept between calls (they are allocated again when needed). */
export function releaseMemory(): void {
  addon.releaseMemory();
}

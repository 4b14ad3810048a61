import type { Backend, TensorInfo } from '../backend.js';
import type { KernelContract } from '../contract/kernel-contract.js';
import { runByName } from '../run-by-name.js';
import { findMismatch } from './compare.js';
import { makeInput, seedOf, uploadInput } from './host-data.js';
import type { ConformanceCase, HostInput, KernelConformance, Tolerance } from './types.js';

/** Guard elements around every storage of a case, on backends that support guard regions. */
export const GUARD_ELEMENTS = 64;

export interface CaseOutcome {
  outputs: { shape: number[]; dtype: string; data: Float32Array | Int32Array }[];
  /** The inputs the contract says the kernel updates in place, read back after the run. */
  updated: (Float32Array | Int32Array)[];
  /** Writes outside a storage the guard regions caught (empty where the backend has no guard regions). */
  outOfBounds: string[];
}

/**
 * Upload a case's inputs, run the kernel, read outputs (and in-place inputs)
 * back, check the guard regions around every storage, release everything,
 * check for leaks.
 */
export async function executeCase(
  backend: Backend,
  contract: KernelContract,
  c: ConformanceCase,
  inputs: HostInput[],
): Promise<CaseOutcome> {
  const kernel = contract.name;
  const storagesBefore = backend.memory().storages;
  const guarded = backend.setGuards !== undefined && backend.checkGuards !== undefined;
  if (guarded) backend.setGuards!(GUARD_ELEMENTS);
  let infos: TensorInfo[] = [];
  let outs: TensorInfo[] = [];
  let outcome: CaseOutcome;
  try {
    infos = inputs.map((h) => uploadInput(backend, h));
    outs = runByName(backend, kernel, infos, c.attrs ?? {});
    const outputs = [];
    for (const o of outs) outputs.push({ shape: [...o.shape], dtype: o.dtype, data: await backend.read(o.storage) });
    const updated = [];
    for (const i of contract.inPlace ?? []) updated.push(await backend.read(infos[i].storage));
    const outOfBounds: string[] = [];
    if (guarded) {
      const damage = await backend.checkGuards!([...outs, ...infos].map((x) => x.storage));
      damage.forEach((d, i) => {
        if (d) outOfBounds.push(i < outs.length ? `output ${i}: ${d}` : `input ${i - outs.length}: ${d}`);
      });
    }
    outcome = { outputs, updated, outOfBounds };
  } finally {
    if (guarded) backend.setGuards!(0);
    for (const o of outs) backend.release(o.storage);
    for (const i of infos) backend.release(i.storage);
  }
  // Checked only when the case ran: a kernel that threw may leave its temporaries behind.
  const storagesAfter = backend.memory().storages;
  if (storagesAfter !== storagesBefore) {
    throw new Error(
      `${kernel} on '${backend.name}': ${storagesAfter - storagesBefore} storages leaked (kernels must release their temporaries)`,
    );
  }
  return outcome;
}

/** The seeded inputs of a case (after its prepare step on the reference backend). */
export async function caseInputs(kernel: string, c: ConformanceCase, reference: Backend): Promise<HostInput[]> {
  const seed = seedOf(`${kernel}/${c.name}`);
  const inputs = c.inputs.map((spec, i) => makeInput(spec, seed + i * 7919));
  return c.prepare ? c.prepare(inputs, reference) : inputs;
}

/**
 * The tolerance of a case: its own, else its kernel's. A kernel without a
 * tolerance is refused, so a new kernel cannot pass on a default nobody chose.
 */
export function caseTolerance(conformance: KernelConformance, c: ConformanceCase): Tolerance {
  const tolerance = c.tolerance ?? conformance.tolerance;
  if (!isTolerance(tolerance)) {
    throw new Error(
      `kernel '${conformance.contract.name}' has no tolerance entry: give its conformance a tolerance (EXACT, ARITHMETIC, TRANSCENDENTAL, ACCUMULATE from '@molrl/gpu-backend/conformance', or { atol, rtol } with a stated reason)`,
    );
  }
  return tolerance;
}

function isTolerance(t: unknown): t is Tolerance {
  const { atol, rtol } = (t ?? {}) as Partial<Tolerance>;
  return typeof atol === 'number' && typeof rtol === 'number' && atol >= 0 && rtol >= 0;
}

/** Every difference between a backend's outcome and the reference's, described; empty when they agree. */
export function compareOutcomes(
  actual: CaseOutcome,
  expected: CaseOutcome,
  tolerance: Tolerance,
  contract?: KernelContract,
): string[] {
  const problems: string[] = [...actual.outOfBounds.map((p) => `a write out of bounds: ${p}`)];
  if (contract && actual.outputs.length !== contract.outputs.length) {
    problems.push(`${actual.outputs.length} outputs, the contract declares ${contract.outputs.length}`);
  }
  if (actual.outputs.length !== expected.outputs.length) {
    return [...problems, `${actual.outputs.length} outputs, expected ${expected.outputs.length}`];
  }
  actual.outputs.forEach((out, i) => {
    const ref = expected.outputs[i];
    if (out.shape.join() !== ref.shape.join())
      problems.push(`output ${i}: shape [${out.shape}], expected [${ref.shape}]`);
    else if (out.dtype !== ref.dtype) problems.push(`output ${i}: dtype ${out.dtype}, expected ${ref.dtype}`);
    else {
      const mismatch = findMismatch(out.data, ref.data, tolerance);
      if (mismatch) problems.push(`output ${i}: ${mismatch}`);
    }
  });
  const inPlace = contract?.inPlace ?? [];
  actual.updated.forEach((data, j) => {
    const mismatch = findMismatch(data, expected.updated[j], tolerance);
    if (mismatch) problems.push(`in-place input ${inPlace[j] ?? j}: ${mismatch}`);
  });
  return problems;
}

/**
 * What the conformance suite checks, independent of how the results are
 * reported (runner.ts returns them, vitest.ts turns them into tests).
 */
import type { Backend } from '../backend.js';
import { KERNEL_CONTRACTS } from '../kernels/contracts.js';
import { KERNEL_CONFORMANCE } from '../kernels/conformance.js';
import { hasKernel, listUnsupported } from '../registry.js';
import { runByName } from '../run-by-name.js';
import { makeInput, seedOf, uploadInput } from './host-data.js';
import { caseInputs, caseTolerance, compareOutcomes, executeCase } from './run-case.js';
import type { ConformanceCase, ErrorCase, KernelConformance } from './types.js';

export interface ConformanceSelection {
  /** Check only these kernels (development aid); default every kernel of the library and of `conformance`. */
  kernels?: readonly string[];
  /** Conformance of kernels defined outside the library (their contract, cases and tolerance). */
  conformance?: readonly KernelConformance[];
}

/** The kernels to check, with their conformance (undefined for a kernel that has none: a failure). */
export function selectKernels(
  selection: ConformanceSelection = {},
): { name: string; conformance?: KernelConformance }[] {
  const all = [...KERNEL_CONFORMANCE, ...(selection.conformance ?? [])];
  const byName = new Map(all.map((c) => [c.contract.name, c]));
  const names = selection.kernels ?? [...new Set([...KERNEL_CONTRACTS.map((c) => c.name), ...byName.keys()])];
  return names.map((name) => ({ name, conformance: byName.get(name) }));
}

/** Why `backend` does not run `kernel`, when it declares it unsupported (and does not register it). */
export function unsupportedReason(backend: Backend, kernel: string): string | undefined {
  if (hasKernel(kernel, backend.name)) return undefined;
  return listUnsupported(backend.name).find((u) => u.name === kernel)?.reason;
}

/** Kernels of the library neither registered on `backend` nor declared unsupported there. */
export function missingKernels(backend: Backend): string[] {
  const declared = new Set(listUnsupported(backend.name).map((u) => u.name));
  return KERNEL_CONTRACTS.map((c) => c.name).filter((name) => !hasKernel(name, backend.name) && !declared.has(name));
}

/** Run one case on `backend` and on `reference`; every problem found, empty when the backend conforms. */
export async function checkCase(
  backend: Backend,
  reference: Backend,
  conformance: KernelConformance,
  c: ConformanceCase,
): Promise<string[]> {
  const kernel = conformance.contract.name;
  const tolerance = caseTolerance(conformance, c);
  const inputs = await caseInputs(kernel, c, reference);
  const expected = await executeCase(reference, conformance.contract, c, inputs);
  const actual = await executeCase(backend, conformance.contract, c, inputs);
  return compareOutcomes(actual, expected, tolerance, conformance.contract);
}

/**
 * Run a bad call; a description of what is wrong, or undefined when `run`
 * refused it with an error naming the kernel, and (given a reference) in the
 * same words as the reference: every backend reports errors in one format.
 */
export function checkErrorCase(
  backend: Backend,
  conformance: KernelConformance,
  e: ErrorCase,
  reference?: Backend,
): string | undefined {
  const kernel = conformance.contract.name;
  const message = refusal(backend, kernel, e);
  if (message === undefined) return 'run() did not throw';
  if (!message.includes(kernel)) return `the error does not name the kernel: ${message}`;
  if (reference && reference !== backend) {
    const expected = refusal(reference, kernel, e);
    if (expected !== undefined && expected !== message) {
      return `the error reads '${message}', '${reference.name}' says '${expected}' (errors read the same on every backend)`;
    }
  }
  return undefined;
}

/** The message `run` refuses a bad call with, or undefined when it does not. */
function refusal(backend: Backend, kernel: string, e: ErrorCase): string | undefined {
  const seed = seedOf(`${kernel}/${e.name}`);
  const infos = e.inputs.map((spec, i) => uploadInput(backend, makeInput(spec, seed + i)));
  try {
    runByName(backend, kernel, infos, e.attrs ?? {});
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    for (const info of infos) backend.release(info.storage);
  }
}

/** Why the suite cannot look for out-of-bounds writes on `backend`, or undefined when it can. */
export function guardSupport(backend: Backend): string | undefined {
  if (backend.setGuards && backend.checkGuards) return undefined;
  return `backend '${backend.name}' does not implement setGuards/checkGuards, so writes out of bounds go unseen`;
}

import type { Backend, TensorInfo } from '../backend.js';
import { DEFAULT_TOLERANCES } from './tolerances.js';
import { findMismatch } from './compare.js';
import { makeInput, seedOf, uploadInput } from './host-data.js';
import type { ConformanceCase, HostInput, Tolerance } from './types.js';

export interface CaseOutcome {
  outputs: { shape: number[]; dtype: string; data: Float32Array | Int32Array }[];
  updated: (Float32Array | Int32Array)[];
}

/** Upload a case's inputs, run the kernel, read outputs (and in-place inputs) back, release everything, check for leaks. */
export async function executeCase(
  backend: Backend,
  kernel: string,
  c: ConformanceCase,
  inputs: HostInput[],
): Promise<CaseOutcome> {
  const storagesBefore = backend.memory().storages;
  const infos: TensorInfo[] = inputs.map((h) => uploadInput(backend, h));
  let outs: TensorInfo[] = [];
  let outcome: CaseOutcome;
  try {
    outs = backend.run(kernel, infos, c.attrs ?? {});
    const outputs = [];
    for (const o of outs) outputs.push({ shape: [...o.shape], dtype: o.dtype, data: await backend.read(o.storage) });
    const updated = [];
    for (const i of c.compareInputs ?? []) updated.push(await backend.read(infos[i].storage));
    outcome = { outputs, updated };
  } finally {
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

export function caseTolerance(kernel: string, c: ConformanceCase): Tolerance {
  return c.tolerance ?? DEFAULT_TOLERANCES[kernel] ?? { atol: 1e-5, rtol: 1e-5 };
}

/** Every difference between a backend's outcome and the reference's, described; empty when they agree. */
export function compareOutcomes(
  actual: CaseOutcome,
  expected: CaseOutcome,
  tolerance: Tolerance,
  compareInputs: number[] = [],
): string[] {
  const problems: string[] = [];
  if (actual.outputs.length !== expected.outputs.length) {
    return [`${actual.outputs.length} outputs, expected ${expected.outputs.length}`];
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
  actual.updated.forEach((data, j) => {
    const mismatch = findMismatch(data, expected.updated[j], tolerance);
    if (mismatch) problems.push(`in-place input ${compareInputs[j]}: ${mismatch}`);
  });
  return problems;
}

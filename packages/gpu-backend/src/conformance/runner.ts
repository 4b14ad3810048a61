import type { Backend } from '../backend.js';
import { KERNEL_NAMES } from '../kernel-spec.js';
import { hasKernel, listUnsupported } from '../registry.js';
import { CONFORMANCE_CASES, ERROR_CASES } from './cases.js';
import { makeInput, seedOf, uploadInput } from './host-data.js';
import { caseInputs, caseTolerance, compareOutcomes, executeCase } from './run-case.js';

export interface ConformanceResult {
  kernel: string;
  case: string;
  status: 'pass' | 'fail' | 'unsupported';
  /** Why it failed, or the declared reason it is unsupported. */
  detail?: string;
  ms: number;
}

export interface RunConformanceOptions {
  kernels?: readonly string[];
  /** Called after each case (progress output). */
  onResult?: (result: ConformanceResult) => void;
}

/**
 * The conformance suite without a test runner: for places where vitest is
 * not available (a browser page driving WebGPU, a bare GPU machine). Runs
 * every case of every kernel on `backend` and `reference` and returns one
 * result per case, shape-error checks included.
 */
export async function runConformance(
  backend: Backend,
  reference: Backend,
  options: RunConformanceOptions = {},
): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  const report = (r: ConformanceResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  const declared = new Map(listUnsupported(backend.name).map((u) => [u.name, u.reason]));
  for (const kernel of options.kernels ?? KERNEL_NAMES) {
    const cases = CONFORMANCE_CASES[kernel] ?? [];
    if (cases.length === 0)
      report({ kernel, case: '(cases)', status: 'fail', detail: 'the suite has no cases for this kernel', ms: 0 });
    for (const c of cases) {
      const start = performance.now();
      if (!hasKernel(kernel, backend.name) && declared.has(kernel)) {
        report({ kernel, case: c.name, status: 'unsupported', detail: declared.get(kernel), ms: 0 });
        continue;
      }
      try {
        const inputs = await caseInputs(kernel, c, reference);
        const expected = await executeCase(reference, kernel, c, inputs);
        const actual = await executeCase(backend, kernel, c, inputs);
        const problems = compareOutcomes(actual, expected, caseTolerance(kernel, c), c.compareInputs);
        report({
          kernel,
          case: c.name,
          status: problems.length ? 'fail' : 'pass',
          detail: problems.join('; ') || undefined,
          ms: performance.now() - start,
        });
      } catch (error) {
        report({
          kernel,
          case: c.name,
          status: 'fail',
          detail: (error as Error).message,
          ms: performance.now() - start,
        });
      }
    }
  }
  for (const e of ERROR_CASES) {
    if (options.kernels && !options.kernels.includes(e.kernel)) continue;
    if (!hasKernel(e.kernel, backend.name)) continue;
    const name = `shape error: ${e.name}`;
    const seed = seedOf(`${e.kernel}/${e.name}`);
    const infos = e.inputs.map((spec, i) => uploadInput(backend, makeInput(spec, seed + i)));
    let detail: string | undefined = `run() did not throw`;
    try {
      backend.run(e.kernel, infos, e.attrs ?? {});
    } catch (error) {
      const message = (error as Error).message;
      detail = message.includes(e.kernel) ? undefined : `the error does not name the kernel: ${message}`;
    } finally {
      for (const info of infos) backend.release(info.storage);
    }
    report({ kernel: e.kernel, case: name, status: detail ? 'fail' : 'pass', detail, ms: 0 });
  }
  return results;
}

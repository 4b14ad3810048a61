import type { Backend } from '../backend.js';
import {
  checkCase,
  checkErrorCase,
  guardSupport,
  selectKernels,
  unsupportedReason,
  type ConformanceSelection,
} from './plan.js';

export interface ConformanceResult {
  kernel: string;
  case: string;
  status: 'pass' | 'fail' | 'unsupported';
  /** Why it failed, or the declared reason it is unsupported. */
  detail?: string;
  ms: number;
}

export interface RunConformanceOptions extends ConformanceSelection {
  /** Called after each case (progress output). */
  onResult?: (result: ConformanceResult) => void;
}

/**
 * The conformance suite without a test runner: for places where vitest is
 * not available (a browser page driving WebGPU, a bare GPU machine, a plain
 * node script). Runs every case of every kernel on `backend` and `reference`
 * and returns one result per case, the refused-call checks included.
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
  const guards = guardSupport(backend);
  if (guards) report({ kernel: '(backend)', case: 'guard regions', status: 'fail', detail: guards, ms: 0 });
  const selected = selectKernels(options);
  for (const { name: kernel, conformance } of selected) {
    if (!conformance || conformance.cases.length === 0) {
      report({ kernel, case: '(cases)', status: 'fail', detail: 'the suite has no cases for this kernel', ms: 0 });
      continue;
    }
    const unsupported = unsupportedReason(backend, kernel);
    for (const c of conformance.cases) {
      if (unsupported) {
        report({ kernel, case: c.name, status: 'unsupported', detail: unsupported, ms: 0 });
        continue;
      }
      const start = performance.now();
      let problems: string[];
      try {
        problems = await checkCase(backend, reference, conformance, c);
      } catch (error) {
        problems = [(error as Error).message];
      }
      report({
        kernel,
        case: c.name,
        status: problems.length ? 'fail' : 'pass',
        detail: problems.join('; ') || undefined,
        ms: performance.now() - start,
      });
    }
  }
  for (const { name: kernel, conformance } of selected) {
    if (!conformance || unsupportedReason(backend, kernel)) continue;
    for (const e of conformance.errors ?? []) {
      const detail = checkErrorCase(backend, conformance, e, reference);
      report({ kernel, case: `refused: ${e.name}`, status: detail ? 'fail' : 'pass', detail, ms: 0 });
    }
  }
  return results;
}

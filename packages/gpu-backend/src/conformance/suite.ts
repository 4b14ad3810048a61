import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BackendOptions } from '../backend.js';
import { createBackend } from '../backends.js';
import { KERNEL_NAMES } from '../kernel-spec.js';
import { hasKernel, listUnsupported } from '../registry.js';
import { CONFORMANCE_CASES, ERROR_CASES } from './cases.js';
import { makeInput, seedOf, uploadInput } from './host-data.js';
import { caseInputs, caseTolerance, compareOutcomes, executeCase } from './run-case.js';

export interface ConformanceOptions {
  /** Options passed to createBackend for the backend under test. */
  backendOptions?: BackendOptions;
  /** The backend results are compared with (default 'cpu'). */
  reference?: string;
  /** Run only these kernels (development aid); default every kernel of KERNEL_SPECS. */
  kernels?: readonly string[];
  /** Per-test timeout in ms (default 60 s: first GPU compilations are slow). */
  timeout?: number;
}

/**
 * Define vitest tests that run every kernel of KERNEL_SPECS on `backendName`
 * and compare it with the reference backend (cpu), case by case, within the
 * tolerances of DEFAULT_TOLERANCES (or the case's stated one). A kernel the
 * backend lacks fails unless the registry declares it unsupported.
 *
 *   // src/mybackend/mybackend.conformance.test.ts
 *   import { describeConformance } from '@molrl/gpu-backend/conformance';
 *   describeConformance('mybackend');
 */
export function describeConformance(backendName: string, options: ConformanceOptions = {}): void {
  const referenceName = options.reference ?? 'cpu';
  const kernels = options.kernels ?? KERNEL_NAMES;
  const timeout = options.timeout ?? 60_000;

  describe(`conformance: backend '${backendName}' against '${referenceName}'`, () => {
    let backend: Backend;
    let reference: Backend;

    beforeAll(async () => {
      backend = await createBackend(backendName, options.backendOptions);
      reference =
        backendName === referenceName && !options.backendOptions ? backend : await createBackend(referenceName);
    }, 300_000);

    afterAll(async () => {
      if (reference && reference !== backend) await reference.dispose();
      if (backend) await backend.dispose();
    });

    it('registers every kernel of the contract or declares it unsupported', () => {
      const declared = new Set(listUnsupported(backendName).map((u) => u.name));
      const missing = KERNEL_NAMES.filter((name) => !hasKernel(name, backendName) && !declared.has(name));
      expect(missing, `kernels neither registered nor declared unsupported on '${backendName}'`).toEqual([]);
    });

    it('has conformance cases for every kernel of the contract', () => {
      expect(KERNEL_NAMES.filter((name) => !CONFORMANCE_CASES[name]?.length)).toEqual([]);
    });

    for (const kernel of kernels) {
      const cases = CONFORMANCE_CASES[kernel] ?? [];
      describe(kernel, () => {
        for (const c of cases) {
          it(
            c.name,
            async (ctx) => {
              const unsupported = listUnsupported(backendName).find((u) => u.name === kernel);
              if (unsupported && !hasKernel(kernel, backendName)) {
                ctx.skip(`declared unsupported: ${unsupported.reason}`);
                return;
              }
              const inputs = await caseInputs(kernel, c, reference);
              const expected = await executeCase(reference, kernel, c, inputs);
              const actual = await executeCase(backend, kernel, c, inputs);
              expect(compareOutcomes(actual, expected, caseTolerance(kernel, c), c.compareInputs)).toEqual([]);
            },
            timeout,
          );
        }
      });
    }

    describe('shape errors name the kernel', () => {
      for (const e of ERROR_CASES) {
        if (!kernels.includes(e.kernel)) continue;
        it(`${e.kernel}: ${e.name}`, (ctx) => {
          if (!hasKernel(e.kernel, backendName)) {
            ctx.skip(`'${e.kernel}' is not registered on '${backendName}'`);
            return;
          }
          const seed = seedOf(`${e.kernel}/${e.name}`);
          const infos = e.inputs.map((spec, i) => uploadInput(backend, makeInput(spec, seed + i)));
          try {
            expect(() => backend.run(e.kernel, infos, e.attrs ?? {})).toThrow(e.kernel);
          } finally {
            for (const info of infos) backend.release(info.storage);
          }
        });
      }
    });
  });
}

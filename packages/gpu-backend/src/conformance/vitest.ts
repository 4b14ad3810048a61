/**
 * The conformance suite as vitest tests. A separate entry point
 * ('@molrl/gpu-backend/conformance/vitest'), because it imports vitest:
 * '@molrl/gpu-backend/conformance' runs without a test runner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BackendOptions } from '../backend.js';
import { createBackend } from '../backends.js';
import {
  checkCase,
  checkErrorCase,
  guardSupport,
  missingKernels,
  selectKernels,
  unsupportedReason,
  type ConformanceSelection,
} from './plan.js';

export interface ConformanceOptions extends ConformanceSelection {
  /** Options passed to createBackend for the backend under test. */
  backendOptions?: BackendOptions;
  /** The backend results are compared with (default 'cpu'). */
  reference?: string;
  /** Per-test timeout in ms (default 60 s: first GPU compilations are slow). */
  timeout?: number;
}

/**
 * Define vitest tests that run every kernel on `backendName` and compare it
 * with the reference backend (cpu), case by case, within each kernel's
 * tolerance, with guard regions around every storage. A kernel the backend
 * lacks fails unless the registry declares it unsupported.
 *
 *   // src/mybackend/mybackend.conformance.test.ts
 *   import { describeConformance } from '@molrl/gpu-backend/conformance/vitest';
 *   describeConformance('mybackend');
 */
export function describeConformance(backendName: string, options: ConformanceOptions = {}): void {
  const referenceName = options.reference ?? 'cpu';
  const timeout = options.timeout ?? 60_000;
  const selected = selectKernels(options);

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
      expect(
        missingKernels(backend),
        `kernels neither registered nor declared unsupported on '${backendName}'`,
      ).toEqual([]);
    });

    it('has guard regions, so writes out of bounds are seen', () => {
      expect(guardSupport(backend)).toBeUndefined();
    });

    it('has conformance cases for every kernel', () => {
      expect(selected.filter((k) => !k.conformance?.cases.length).map((k) => k.name)).toEqual([]);
    });

    for (const { name: kernel, conformance } of selected) {
      if (!conformance) continue;
      describe(kernel, () => {
        for (const c of conformance.cases) {
          it(
            c.name,
            async (ctx) => {
              const unsupported = unsupportedReason(backend, kernel);
              if (unsupported) {
                ctx.skip(`declared unsupported: ${unsupported}`);
                return;
              }
              expect(await checkCase(backend, reference, conformance, c)).toEqual([]);
            },
            timeout,
          );
        }
        for (const e of conformance.errors ?? []) {
          it(`refuses ${e.name}`, (ctx) => {
            const unsupported = unsupportedReason(backend, kernel);
            if (unsupported) {
              ctx.skip(`declared unsupported: ${unsupported}`);
              return;
            }
            expect(checkErrorCase(backend, conformance, e, reference)).toBeUndefined();
          });
        }
      });
    }
  });
}

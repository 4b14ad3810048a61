import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BackendOptions, TensorInfo } from '../backend.js';
import { createBackend } from '../backends.js';
import { KERNEL_NAMES } from '../kernel-spec.js';
import { hasKernel, listUnsupported } from '../registry.js';
import { CONFORMANCE_CASES, ERROR_CASES } from './cases.js';
import { findMismatch } from './compare.js';
import { makeInput, seedOf, uploadInput } from './host-data.js';
import { DEFAULT_TOLERANCES } from './tolerances.js';
import type { ConformanceCase, HostInput } from './types.js';

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

interface Outcome {
  outputs: { shape: number[]; dtype: string; data: Float32Array | Int32Array }[];
  updated: (Float32Array | Int32Array)[];
}

async function execute(backend: Backend, kernel: string, c: ConformanceCase, inputs: HostInput[]): Promise<Outcome> {
  const storagesBefore = backend.memory().storages;
  const infos: TensorInfo[] = inputs.map((h) => uploadInput(backend, h));
  const outs = backend.run(kernel, infos, c.attrs ?? {});
  const outputs = [];
  for (const o of outs) outputs.push({ shape: [...o.shape], dtype: o.dtype, data: await backend.read(o.storage) });
  const updated = [];
  for (const i of c.compareInputs ?? []) updated.push(await backend.read(infos[i].storage));
  for (const o of outs) backend.release(o.storage);
  for (const i of infos) backend.release(i.storage);
  const storagesAfter = backend.memory().storages;
  if (storagesAfter !== storagesBefore) {
    throw new Error(`${kernel} on '${backend.name}': ${storagesAfter - storagesBefore} storages leaked (kernels must release their temporaries)`);
  }
  return { outputs, updated };
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
      reference = backendName === referenceName && !options.backendOptions ? backend : await createBackend(referenceName);
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
              const seed = seedOf(`${kernel}/${c.name}`);
              let inputs = c.inputs.map((spec, i) => makeInput(spec, seed + i * 7919));
              if (c.prepare) inputs = await c.prepare(inputs, reference);
              const expected = await execute(reference, kernel, c, inputs);
              const actual = await execute(backend, kernel, c, inputs);
              const tolerance = c.tolerance ?? DEFAULT_TOLERANCES[kernel] ?? { atol: 1e-5, rtol: 1e-5 };
              expect(actual.outputs.length, 'number of outputs').toBe(expected.outputs.length);
              actual.outputs.forEach((out, i) => {
                const ref = expected.outputs[i];
                expect(out.shape, `shape of output ${i}`).toEqual(ref.shape);
                expect(out.dtype, `dtype of output ${i}`).toBe(ref.dtype);
                const mismatch = findMismatch(out.data, ref.data, tolerance);
                expect(mismatch, `output ${i}`).toBeNull();
              });
              actual.updated.forEach((data, j) => {
                const mismatch = findMismatch(data, expected.updated[j], tolerance);
                expect(mismatch, `in-place input ${c.compareInputs![j]}`).toBeNull();
              });
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

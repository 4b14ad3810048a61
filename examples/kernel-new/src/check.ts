/**
 * The new kernel's check, in two parts:
 * - the library's conformance suite (`runConformance`, no test runner needed)
 *   with the kernel's own cases and tolerance: shapes (a scalar and an empty
 *   tensor included), guard regions around every storage (no write out of
 *   bounds), no leaked storage, the output count of the contract, and calls
 *   that must be refused with an error naming the kernel;
 * - its values against the float64 formula within the same tolerance.
 */
import { createBackend, type Backend } from '@molrl/gpu-backend';
import {
  conformanceOf,
  findMismatch,
  floats,
  runConformance,
  seededRandom,
  TRANSCENDENTAL,
  uniform,
} from '@molrl/gpu-backend/conformance';
import { softplus, softplusReference } from './softplus.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export const softplusConformance = conformanceOf(softplus, {
  tolerance: TRANSCENDENTAL,
  cases: [
    { name: '[3, 5]', inputs: [floats([3, 5], uniform(-4, 4))] },
    { name: '[2, 3, 64], beta 2', inputs: [floats([2, 3, 64], uniform(-30, 30))], attrs: { beta: 2 } },
    { name: 'scalar', inputs: [floats([])] },
    { name: 'empty [0, 4]', inputs: [floats([0, 4])] },
  ],
  errors: [
    { name: 'two inputs', inputs: [floats([2]), floats([2])] },
    { name: 'an int32 input', inputs: [{ shape: [2], dtype: 'int32' }] },
    { name: 'a misspelled attribute', inputs: [floats([2])], attrs: { betta: 2 } as never },
  ],
});

const VALUE_CASES: { name: string; shape: number[]; data?: number[]; beta?: number }[] = [
  { name: 'uniform [-4, 4], shape [3, 5]', shape: [3, 5] },
  { name: 'beta 0.5, shape [2, 3, 64]', shape: [2, 3, 64], beta: 0.5 },
  { name: 'edge values', shape: [9], data: [0, -0, 1e-8, -1e-8, 19.9, 20.1, 80, -80, Number.NaN] },
];

function runOnce(backend: Backend, data: Float32Array, shape: number[], beta?: number): Float32Array {
  const input = { storage: backend.upload(data, 'float32'), shape, dtype: 'float32' as const };
  const [out] = backend.run('softplus', [input], beta === undefined ? {} : { beta });
  const result = backend.readSync!(out.storage) as Float32Array;
  backend.release(input.storage);
  backend.release(out.storage);
  return result;
}

export async function checkSoftplus(backendName = 'cpu'): Promise<CheckResult[]> {
  const backend = await createBackend(backendName);
  const results: CheckResult[] = [];
  for (const r of await runConformance(backend, backend, {
    kernels: ['softplus'],
    conformance: [softplusConformance],
  })) {
    results.push({ name: `conformance: ${r.case}`, ok: r.status === 'pass', detail: r.detail ?? 'passed' });
  }
  for (const c of VALUE_CASES) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const rand = seededRandom(n + 17);
    const data = Float32Array.from(c.data ?? Array.from({ length: n }, () => -4 + 8 * rand()));
    try {
      const actual = runOnce(backend, data, c.shape, c.beta);
      const expected = Float64Array.from(data, (x) => softplusReference(x, c.beta));
      const mismatch = findMismatch(actual, expected, TRANSCENDENTAL);
      results.push({
        name: `values: ${c.name}`,
        ok: mismatch === null,
        detail: mismatch ?? `${n} elements within atol ${TRANSCENDENTAL.atol}, rtol ${TRANSCENDENTAL.rtol}`,
      });
    } catch (error) {
      results.push({ name: `values: ${c.name}`, ok: false, detail: (error as Error).message });
    }
  }
  await backend.dispose();
  return results;
}

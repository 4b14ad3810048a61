/**
 * The conformance-style check of the new kernel: seeded inputs of several
 * shapes (including empty and a scalar) and edge values, run through the
 * backend contract, compared elementwise with the float64 reference within a
 * tolerance (`findMismatch` of the conformance suite), plus the error cases
 * (wrong input count, wrong dtype) that must name the kernel, and no leaked
 * storage.
 */
import { createBackend, type Backend } from '@molrl/gpu-backend';
import { findMismatch, seededRandom } from '@molrl/gpu-backend/conformance';
import { geluReference } from './gelu.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

const TOLERANCE = { atol: 1e-6, rtol: 1e-5 };

function run(backend: Backend, data: Float32Array, shape: number[]): Float32Array {
  const input = { storage: backend.upload(data, 'float32'), shape, dtype: 'float32' as const };
  const [out] = backend.run('gelu', [input]);
  if (!out) throw new Error('gelu returned no output');
  if (out.shape.join(',') !== shape.join(',')) throw new Error(`gelu output shape [${out.shape}], expected [${shape}]`);
  const result = backend.readSync!(out.storage) as Float32Array;
  backend.release(input.storage);
  backend.release(out.storage);
  return result;
}

export async function checkGelu(backendName = 'cpu'): Promise<CheckResult[]> {
  const backend = await createBackend(backendName);
  const results: CheckResult[] = [];
  const before = backend.memory().storages;
  const cases: Array<{ name: string; shape: number[]; data?: number[] }> = [
    { name: 'uniform [-4, 4], shape [3, 5]', shape: [3, 5] },
    { name: 'uniform [-4, 4], shape [2, 3, 64]', shape: [2, 3, 64] },
    { name: 'scalar', shape: [], data: [0.5] },
    { name: 'empty', shape: [0, 4] },
    { name: 'edge values', shape: [9], data: [0, -0, 1e-8, -1e-8, 10.5, -10.5, 80, -80, Number.NaN] },
  ];
  for (const c of cases) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const rand = seededRandom(n + 17);
    const data = Float32Array.from(c.data ?? Array.from({ length: n }, () => -4 + 8 * rand()));
    try {
      const actual = run(backend, data, c.shape);
      const expected = Float64Array.from(data, geluReference);
      const mismatch = findMismatch(actual, expected, TOLERANCE);
      results.push({
        name: c.name,
        ok: mismatch === null,
        detail: mismatch ?? `${n} elements within atol ${TOLERANCE.atol}, rtol ${TOLERANCE.rtol}`,
      });
    } catch (error) {
      results.push({ name: c.name, ok: false, detail: (error as Error).message });
    }
  }
  for (const [name, make] of [
    [
      'two inputs is an error naming the kernel',
      () => [backend.upload(new Float32Array(2), 'float32'), backend.upload(new Float32Array(2), 'float32')],
    ],
    ['an int32 input is an error naming the kernel', () => [backend.upload(new Int32Array(2), 'int32')]],
  ] as const) {
    const storages = make();
    try {
      backend.run(
        'gelu',
        storages.map((s) => ({ storage: s, shape: [2], dtype: s.dtype })),
      );
      results.push({ name, ok: false, detail: 'no error' });
    } catch (error) {
      const message = (error as Error).message;
      results.push({ name, ok: /^gelu: /.test(message), detail: message });
    } finally {
      storages.forEach((s) => backend.release(s));
    }
  }
  const leaked = backend.memory().storages - before;
  results.push({ name: 'no storage leaked', ok: leaked === 0, detail: `${leaked} storages left` });
  await backend.dispose();
  return results;
}

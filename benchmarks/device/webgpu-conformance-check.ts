/**
 * The shared conformance cases (packages/gpu-backend/src/conformance) run on
 * the webgpu backend against cpu without vitest, so a bundled copy can check
 * the kernels on a GPU box that has no node_modules. Prints each failure and
 * a summary; exits 1 if any case fails.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/device/webgpu-conformance-check.ts
 */
import { createBackend, registerBackend, type Backend } from '@molrl/gpu-backend';
import {
  CONFORMANCE_CASES,
  DEFAULT_TOLERANCES,
  findMismatch,
  makeInput,
  seedOf,
} from '../../packages/gpu-backend/src/conformance/index.js';
import { uploadInput } from '../../packages/gpu-backend/src/conformance/host-data.js';
import type { ConformanceCase, HostInput } from '../../packages/gpu-backend/src/conformance/types.js';
import { createWebgpuBackend } from '../../packages/gpu-backend/src/webgpu/index.js';

registerBackend('webgpu', (options) => createWebgpuBackend(options));

async function execute(backend: Backend, kernel: string, c: ConformanceCase, inputs: HostInput[]) {
  const infos = inputs.map((h) => uploadInput(backend, h));
  const outs = backend.run(kernel, infos, c.attrs ?? {});
  const outputs = [];
  for (const o of outs) outputs.push({ shape: [...o.shape], dtype: o.dtype, data: await backend.read(o.storage) });
  const updated = [];
  for (const i of c.compareInputs ?? []) updated.push(await backend.read(infos[i]!.storage));
  for (const o of outs) backend.release(o.storage);
  for (const i of infos) backend.release(i.storage);
  return { outputs, updated };
}

const gpu = await createBackend('webgpu');
const cpu = await createBackend('cpu');
console.log(`conformance: webgpu (${(gpu as Backend & { adapterName?: string }).adapterName}) against cpu`);
let passed = 0;
const failures: string[] = [];
const t0 = performance.now();
for (const [kernel, cases] of Object.entries(CONFORMANCE_CASES)) {
  for (const c of cases) {
    const label = `${kernel} / ${c.name}`;
    try {
      const seed = seedOf(`${kernel}/${c.name}`);
      let inputs = c.inputs.map((spec, i) => makeInput(spec, seed + i * 7919));
      if (c.prepare) inputs = await c.prepare(inputs, cpu);
      const want = await execute(cpu, kernel, c, inputs);
      const got = await execute(gpu, kernel, c, inputs);
      const tol = c.tolerance ?? DEFAULT_TOLERANCES[kernel] ?? { atol: 1e-5, rtol: 1e-5 };
      const problems: string[] = [];
      if (got.outputs.length !== want.outputs.length)
        problems.push(`${got.outputs.length} outputs, want ${want.outputs.length}`);
      got.outputs.forEach((o, i) => {
        const w = want.outputs[i];
        if (!w) return;
        if (o.shape.join() !== w.shape.join() || o.dtype !== w.dtype)
          problems.push(`output ${i}: ${o.dtype} [${o.shape}] want ${w.dtype} [${w.shape}]`);
        const m = findMismatch(o.data, w.data, tol);
        if (m) problems.push(`output ${i}: ${m}`);
      });
      got.updated.forEach((d, j) => {
        const m = findMismatch(d, want.updated[j]!, tol);
        if (m) problems.push(`in-place input ${j}: ${m}`);
      });
      if (problems.length) failures.push(`${label}: ${problems.join('; ')}`);
      else passed++;
    } catch (err) {
      failures.push(`${label}: threw ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
for (const f of failures) console.log(`FAIL ${f}`);
console.log(
  `conformance on webgpu: ${passed} passed, ${failures.length} failed (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
await gpu.dispose();
await cpu.dispose();
process.exitCode = failures.length ? 1 : 0;

/**
 * The shared conformance suite run on the webgpu backend against cpu without
 * vitest (`runConformance`), so a bundled copy can check the kernels on a GPU
 * box that has no node_modules. Prints each failure and a summary; exits 1 if
 * any case fails.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/device/webgpu-conformance-check.ts
 */
import { createBackend, registerBackend, type Backend } from '@molrl/gpu-backend';
import { runConformance } from '../../packages/gpu-backend/src/conformance/index.js';
import { createWebgpuBackend } from '../../packages/gpu-backend/src/webgpu/index.js';

// Registered explicitly (rather than through createBackend's lazy import) so that a bundled copy carries it.
registerBackend('webgpu', (options) => createWebgpuBackend(options));

const gpu = await createBackend('webgpu', { verifyShaderKeys: true });
const cpu = await createBackend('cpu');
console.log(`conformance: webgpu (${(gpu as Backend & { adapterName?: string }).adapterName}) against cpu`);
const t0 = performance.now();
const results = await runConformance(gpu, cpu, {
  onResult: (r) => {
    if (r.status === 'fail') console.log(`FAIL ${r.kernel} / ${r.case}: ${r.detail}`);
  },
});
const failed = results.filter((r) => r.status === 'fail').length;
console.log(
  `conformance on webgpu: ${results.length - failed} passed, ${failed} failed (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
await gpu.dispose();
await cpu.dispose();
process.exitCode = failed ? 1 : 0;

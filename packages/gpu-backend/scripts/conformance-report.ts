// Run the conformance suite on a backend without vitest and print a report:
//   node --import tsx --conditions=@molrl/source packages/gpu-backend/scripts/conformance-report.ts <backend> \
//     [--options '{"mode":"webasm"}'] [--kernels matmul,attention] [--json report.json]
// Exits 1 when a case fails.
import { writeFileAtomicSync } from '@molrl/progress';
import { createBackend } from '../src/backends.js';
import { runConformance, type ConformanceResult } from '../src/conformance/runner.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const name = process.argv[2];
if (!name || name.startsWith('--')) {
  console.error('usage: conformance-report.ts <backend> [--options JSON] [--kernels a,b] [--json path]');
  process.exit(2);
}
const options = flag('options') ? (JSON.parse(flag('options')!) as Record<string, unknown>) : undefined;
const kernels = flag('kernels')?.split(',');
const backend = await createBackend(name, options);
const reference = await createBackend('cpu');
const device = (backend as unknown as { adapterName?: string }).adapterName;
console.log(`conformance: '${name}'${device ? ` on ${device}` : ''} against 'cpu'`);
const started = performance.now();
const results: ConformanceResult[] = await runConformance(backend, reference, {
  kernels,
  onResult: (r) => {
    if (r.status !== 'pass') console.log(`${r.status.toUpperCase()} ${r.kernel} / ${r.case}: ${r.detail}`);
  },
});
const count = (s: ConformanceResult['status']) => results.filter((r) => r.status === s).length;
console.log(
  `${count('pass')} passed, ${count('fail')} failed, ${count('unsupported')} unsupported, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
const jsonPath = flag('json');
if (jsonPath) {
  writeFileAtomicSync(jsonPath, JSON.stringify({ backend: name, device, results }, null, 2));
}
await backend.dispose();
await reference.dispose();
process.exit(count('fail') > 0 ? 1 : 0);

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe("'@molrl/gpu-backend/conformance' without a test runner", () => {
  it('runs in a plain node process where vitest cannot be imported', async () => {
    const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
    const { stdout } = await run(
      process.execPath,
      ['--conditions=@molrl/source', '--import', 'tsx', '--import', './no-vitest.mjs', './run-conformance.ts'],
      { cwd: fixtures, timeout: 120_000 },
    );
    const results = JSON.parse(stdout.trim().split('\n').pop()!) as { kernel: string; status: string }[];
    expect(results.length).toBeGreaterThan(10);
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(new Set(results.map((r) => r.kernel))).toEqual(new Set(['add', 'rmsNorm']));
  }, 120_000);
});

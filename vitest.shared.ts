import { defineConfig } from 'vitest/config';

// Packages import each other's TypeScript sources through the "@molrl/source" export
// condition, so tests never need a build first. The name is this project's own: a
// consumer that sets a generic "source" condition still gets the built dist/.
const conditions = ['@molrl/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The cpu backend fills outputs it does not zero (kernels that write every element) with
    // NaN, so a kernel that leaves part of its output unwritten fails here.
    env: { MOLRL_POISON_OUTPUTS: '1' },
  },
});

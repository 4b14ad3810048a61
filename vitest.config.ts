import { defineConfig } from 'vitest/config';

// `npx vitest run` at the root runs every package's and example's suite as one
// project each, so the whole repository reports one summary.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*'],
  },
});

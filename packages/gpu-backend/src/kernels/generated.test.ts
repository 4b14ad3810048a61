import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedLists, generatedReadme } from '../../scripts/generate-kernels.js';

// The kernel lists and the README table are derived from the kernel folders;
// adding, renaming or removing a folder (or changing a contract) needs
// `npm run generate -w @molrl/gpu-backend`.
describe('generated kernel lists and README table', () => {
  it('are the ones generate-kernels.ts makes from the kernel folders', async () => {
    const files = [...(await generatedLists()), await generatedReadme()];
    const stale = files
      .filter(([path, text]) => readFileSync(path, 'utf8') !== text)
      .map(([path]) => path.slice(path.indexOf('packages/')));
    expect(stale, 'run `npm run generate -w @molrl/gpu-backend`').toEqual([]);
  });
});

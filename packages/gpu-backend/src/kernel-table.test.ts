import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withKernelTable } from './kernel-table.js';

describe('README kernel table', () => {
  it('is the one generated from KERNEL_SPECS (run scripts/kernel-table.ts after changing the spec)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(withKernelTable(readme)).toBe(readme);
  });
});

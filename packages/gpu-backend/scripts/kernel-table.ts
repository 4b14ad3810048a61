// Regenerate the kernel table of README.md from KERNEL_SPECS:
//   node --import tsx --conditions=@molrl/source packages/gpu-backend/scripts/kernel-table.ts
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { withKernelTable } from '../src/kernel-table.js';

const path = new URL('../README.md', import.meta.url);
const next = withKernelTable(readFileSync(path, 'utf8'));
const tmp = new URL('../README.md.tmp', import.meta.url);
writeFileSync(tmp, next);
renameSync(tmp, path);
console.log('README.md kernel table updated');

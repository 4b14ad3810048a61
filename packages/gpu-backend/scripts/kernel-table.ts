// Regenerate the kernel table of README.md from KERNEL_SPECS:
//   node --import tsx --conditions=@molrl/source packages/gpu-backend/scripts/kernel-table.ts
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '@molrl/progress';
import { withKernelTable } from '../src/kernel-table.js';

const path = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileAtomicSync(path, withKernelTable(readFileSync(path, 'utf8')));
console.log('README.md kernel table updated');

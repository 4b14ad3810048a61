#!/usr/bin/env node
// Runs the built CLI (dist/) when present, else the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli-main.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const source = join(root, 'src', 'cli-main.ts');
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@molrl/source', source, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(result.status ?? (result.signal === 'SIGINT' ? 130 : 1));
}

/**
 * Atomic writes: what is written goes to a sibling temporary path first and is
 * then renamed over the target, so a reader (or a resumed run) sees the old
 * version or the new one, never half of one. Temporaries are named
 * `.<name>.tmp-<pid>-<n>`, so one left by a killed process is recognised and
 * removed by `removeStaleTemporaries`.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let counter = 0;
const TEMPORARY = /^\..+\.tmp-(\d+)-\d+$/;

/** A fresh sibling temporary path for `path`. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = temporaryPath(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeAtomically(path, (tmp) => writeFile(tmp, data));
}

/**
 * Make `path` (a file, or a folder with everything in it) whole or not at all:
 * `write` fills the temporary path it is given, which is then renamed to
 * `path`; a folder already at `path` is replaced. If `write` throws, the
 * temporary is removed and `path` is left as it was.
 */
export async function writeAtomically(path: string, write: (temporary: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = temporaryPath(path);
  try {
    await write(tmp);
    // rename() replaces a file but not a non-empty folder.
    if ((await stat(tmp)).isDirectory()) await rm(path, { recursive: true, force: true });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** Whether process `pid` runs on this host (EPERM: it runs, under another user). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Delete the temporaries in `dir` that processes no longer running left
 * behind (a write interrupted by a kill); returns their names. Those of live
 * processes are writes in progress and stay.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const stale = names.filter((name) => {
    const match = TEMPORARY.exec(name);
    return match !== null && !isProcessAlive(Number(match[1]));
  });
  for (const name of stale) await rm(join(dir, name), { recursive: true, force: true });
  return stale;
}

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

/** `value` as an error message shows it: strings quoted, everything else by `String`. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Throws unless `path` names a file: an empty path would make the temporary `..tmp-<pid>-<n>` in the working folder. */
function checkPath(path: unknown, where: string): asserts path is string {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`${where}: path must be a non-empty string, got ${shown(path)}`);
}

/** Throws unless `data` is what the file is to hold: checked before any folder is made. */
function checkData(data: unknown, where: string, path: string): void {
  if (typeof data !== 'string' && !(data instanceof Uint8Array))
    throw new TypeError(
      `${where}(${path}): data must be a string or a Uint8Array, got ${data === null ? 'null' : typeof data}`,
    );
}

/** A fresh sibling temporary path for `path`. */
export function temporaryPath(path: string): string {
  checkPath(path, 'temporaryPath');
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  checkPath(path, 'writeFileAtomicSync');
  checkData(data, 'writeFileAtomicSync', path);
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
  checkPath(path, 'writeFileAtomic');
  checkData(data, 'writeFileAtomic', path);
  await writeAtomically(path, (tmp) => writeFile(tmp, data));
}

/**
 * Make `path` (a file, or a folder with everything in it) whole or not at all:
 * `write` fills the temporary path it is given, which is then renamed to
 * `path`; a folder already at `path` is replaced. If `write` throws, the
 * temporary is removed and `path` is left as it was.
 */
export async function writeAtomically(path: string, write: (temporary: string) => Promise<void>): Promise<void> {
  checkPath(path, 'writeAtomically');
  if (typeof write !== 'function')
    throw new TypeError(
      `writeAtomically(${path}): write must be a function (temporary) => Promise<void>, got ${shown(write)}`,
    );
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

/** Whether process `pid` runs on this host (EPERM: it runs, under another user); false for a pid no process has (0, negative, a fraction). */
export function isProcessAlive(pid: number): boolean {
  if (typeof pid !== 'number') throw new TypeError(`isProcessAlive: pid must be a number, got ${shown(pid)}`);
  // Only a positive integer is a process id: kill() reads 0 and negative numbers as process groups
  // (0 is this process's own, so such a pid read as alive).
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
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
  if (typeof dir !== 'string' || dir === '')
    throw new TypeError(`removeStaleTemporaries: dir must be a non-empty string, got ${shown(dir)}`);
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

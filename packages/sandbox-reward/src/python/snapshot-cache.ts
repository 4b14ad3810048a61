/**
 * The interpreter snapshot kept on disk between processes. A process's first
 * sandbox otherwise loads Pyodide in full in each of its workers, one of which
 * also rewrites the interpreter's WebAssembly for write tracking and takes the
 * snapshot (7.3 s until two workers are ready, on two cores), while a sandbox
 * whose snapshot is there starts every worker from it (2.8 s). Every `molrl`
 * command, ablation process and test file is such a first sandbox.
 *
 * What is kept is what the first worker hands the host before it is ready:
 * the snapshot of the interpreter with the stdlib imported, before the guards
 * are set up and before any code has run, and the rewritten interpreter. No
 * run can reach it. The file is named by a hash of everything that made it
 * (Node's version, every file of the Pyodide package and of the worker
 * folder), so an upgrade of either never loads a stale one, and it carries a
 * SHA-256 of its contents, so a truncated or damaged file is not used (and is
 * replaced). It is trusted as the installed packages are: its folder is made
 * private to the user (0700), and only a file the user owns is read.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TrackedWasm } from './python-process.js';

const MAGIC = 'molrl pyodide snapshot 1\n';
const FILE_PREFIX = 'pyodide-snapshot-';
const FILE_SUFFIX = '.bin';
/** Files of other installs (other keys) not touched for this long are removed when a new one is written. */
const STALE_MS = 30 * 24 * 3600 * 1000;

/**
 * The folder used when `createSandbox` is given no `snapshotCache`: `$MOLRL_CACHE_DIR/sandbox`,
 * else `~/.cache/molrl/sandbox` (`$XDG_CACHE_HOME` honoured); false (no cache) when there is
 * no home folder to put it in (not a shared temporary folder: another user could plant a file there).
 */
export function defaultSnapshotCacheDir(): string | false {
  if (process.env.MOLRL_CACHE_DIR) return join(process.env.MOLRL_CACHE_DIR, 'sandbox');
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'molrl', 'sandbox');
  let home = '';
  try {
    home = homedir();
  } catch {
    // No home folder: no default cache.
  }
  return home ? join(home, '.cache', 'molrl', 'sandbox') : false;
}

/** What a cache file holds: the snapshot, and the rewritten interpreter when the worker made one. */
export interface CachedSnapshot {
  bytes: Uint8Array;
  trackedWasm: TrackedWasm | undefined;
}

interface Header {
  sha256: string;
  snapshotBytes: number;
  trackedBytes: number;
  sourceHash: string | null;
  bootMap: number | null;
}

const keys = new Map<string, string>();

/** The hash of what a snapshot depends on: Node's version and architecture, and every file of both folders. */
export function snapshotCacheKey(pyodide: string, workerDir: string): string {
  const memo = `${pyodide}\0${workerDir}`;
  let key = keys.get(memo);
  if (key) return key;
  const hash = createHash('sha256');
  hash.update(`${process.version} ${process.arch}\0`);
  for (const dir of [pyodide, workerDir]) {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (!statSync(path).isFile()) continue;
      hash.update(`${name}\0`);
      hash.update(readFileSync(path));
      hash.update('\0');
    }
  }
  key = hash.digest('hex').slice(0, 32);
  keys.set(memo, key);
  return key;
}

export function snapshotCacheFile(dir: string, key: string): string {
  return join(dir, `${FILE_PREFIX}${key}${FILE_SUFFIX}`);
}

/** The snapshot in `file`, or null when there is none or it is not whole (a damaged file is removed). */
export function readCachedSnapshot(file: string): CachedSnapshot | null {
  let data: Buffer;
  try {
    // Only a file of this user's own: one another user could have written is not trusted (nor removed).
    if (process.getuid && statSync(file).uid !== process.getuid()) return null;
    data = readFileSync(file);
  } catch {
    return null;
  }
  const parsed = parseCacheFile(data);
  if (!parsed) {
    rmSync(file, { force: true });
    return null;
  }
  try {
    // In use: not stale for another install's clean-up.
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // A read-only cache is still a cache.
  }
  return parsed;
}

function parseCacheFile(data: Buffer): CachedSnapshot | null {
  if (data.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return null;
  const end = data.indexOf(10, MAGIC.length);
  if (end < 0) return null;
  let header: Header;
  try {
    header = JSON.parse(data.subarray(MAGIC.length, end).toString('utf8')) as Header;
  } catch {
    return null;
  }
  const payload = data.subarray(end + 1);
  const { snapshotBytes, trackedBytes } = header;
  if (
    !Number.isInteger(snapshotBytes) ||
    !Number.isInteger(trackedBytes) ||
    snapshotBytes <= 0 ||
    trackedBytes < 0 ||
    payload.length !== snapshotBytes + trackedBytes ||
    createHash('sha256').update(payload).digest('hex') !== header.sha256
  )
    return null;
  // Views of the file's bytes (copies would double the 44 MB, and the page faults with it).
  const bytes = payload.subarray(0, snapshotBytes);
  if (trackedBytes === 0) return { bytes, trackedWasm: undefined };
  if (typeof header.sourceHash !== 'string' || typeof header.bootMap !== 'number') return null;
  return {
    bytes,
    trackedWasm: {
      sourceHash: header.sourceHash,
      bootMap: header.bootMap,
      bytes: payload.subarray(snapshotBytes),
    },
  };
}

/**
 * Write the snapshot to `file`, whole or not at all (a temporary renamed into
 * place; a concurrent writer of the same key writes the same bytes). Returns
 * the error instead of throwing: a cache that cannot be written costs only
 * the next process's time.
 */
export function writeCachedSnapshot(file: string, snapshot: CachedSnapshot): Error | null {
  const dir = dirname(file);
  const tracked = snapshot.trackedWasm;
  const payload = [snapshot.bytes, ...(tracked ? [tracked.bytes] : [])];
  const hash = createHash('sha256');
  for (const part of payload) hash.update(part);
  const header: Header = {
    sha256: hash.digest('hex'),
    snapshotBytes: snapshot.bytes.byteLength,
    trackedBytes: tracked?.bytes.byteLength ?? 0,
    sourceHash: tracked?.sourceHash ?? null,
    bootMap: tracked?.bootMap ?? null,
  };
  const temporary = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Part by part from where the bytes lie (one buffer of them all would copy the 44 MB first).
    const fd = openSync(temporary, 'w', 0o600);
    try {
      for (const part of [Buffer.from(MAGIC + JSON.stringify(header) + '\n'), ...payload]) {
        for (let at = 0; at < part.byteLength;) at += writeSync(fd, part, at);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The folder itself could not be made: there is no temporary.
    }
    return error as Error;
  }
  removeStale(dir, file);
  return null;
}

/** Other installs' snapshot files (and temporaries) left untouched for a month. */
function removeStale(dir: string, kept: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === kept || !name.startsWith(FILE_PREFIX)) continue;
    try {
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

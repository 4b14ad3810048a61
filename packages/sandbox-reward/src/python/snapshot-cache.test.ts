/**
 * The interpreter snapshot on disk: the file format (whole, or not used), the
 * key (any change to the files that made it is another key), the clean-up of
 * other installs' files, and, across real processes, a second process's first
 * sandbox starting every worker from the file the first process wrote.
 */
import { execFile } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../sandbox.js';
import { SandboxConfigError } from '../errors.js';
import {
  defaultSnapshotCacheDir,
  readCachedSnapshot,
  snapshotCacheFile,
  snapshotCacheKey,
  writeCachedSnapshot,
  type CachedSnapshot,
} from './snapshot-cache.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..', '..');

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'molrl-snapshot-cache-'));
}

function sample(tracked: boolean): CachedSnapshot {
  const bytes = new Uint8Array(5000).map((_, i) => (i * 7) & 255);
  return {
    bytes,
    trackedWasm: tracked
      ? { sourceHash: 'abc123', bootMap: 4096, bytes: new Uint8Array(300).map((_, i) => (i * 13) & 255) }
      : undefined,
  };
}

describe('the cache file', () => {
  it('reads back what was written, with or without the rewritten interpreter', () => {
    for (const tracked of [true, false]) {
      const file = join(scratch(), 'nested', 'pyodide-snapshot-k.bin');
      const written = sample(tracked);
      expect(writeCachedSnapshot(file, written)).toBeNull();
      expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const read = readCachedSnapshot(file)!;
      expect(Buffer.from(read.bytes).equals(Buffer.from(written.bytes))).toBe(true);
      if (tracked) {
        expect(read.trackedWasm!.sourceHash).toBe('abc123');
        expect(read.trackedWasm!.bootMap).toBe(4096);
        expect(Buffer.from(read.trackedWasm!.bytes).equals(Buffer.from(written.trackedWasm!.bytes))).toBe(true);
      } else {
        expect(read.trackedWasm).toBeUndefined();
      }
      // No temporaries left beside it.
      expect(readdirSync(dirname(file))).toEqual(['pyodide-snapshot-k.bin']);
    }
  });

  it('is not used, and is removed, when a byte is damaged, it is cut short, or it is not ours', () => {
    const damage: Array<[string, (data: Buffer) => Buffer]> = [
      ['a payload byte flipped', (d) => ((d[d.length - 100]! ^= 1), d)],
      ['cut short', (d) => d.subarray(0, d.length - 1)],
      ['another format', (d) => Buffer.concat([Buffer.from('something else\n'), d.subarray(40)])],
      [
        'a bad header',
        (d) => Buffer.from(d.toString('latin1').replace('"snapshotBytes":5000', '"snapshotBytes":"x"'), 'latin1'),
      ],
      ['empty', () => Buffer.alloc(0)],
    ];
    for (const [what, change] of damage) {
      const file = join(scratch(), 'pyodide-snapshot-k.bin');
      expect(writeCachedSnapshot(file, sample(true))).toBeNull();
      writeFileSync(file, change(readFileSync(file)));
      expect(readCachedSnapshot(file), what).toBeNull();
      expect(existsSync(file), what).toBe(false);
    }
    expect(readCachedSnapshot(join(scratch(), 'none.bin'))).toBeNull();
  });

  // Changing a file's owner takes root (CI runs as root).
  it.skipIf(process.getuid?.() !== 0)('is not read when another user owns it, and is left in place', () => {
    const file = join(scratch(), 'pyodide-snapshot-k.bin');
    expect(writeCachedSnapshot(file, sample(true))).toBeNull();
    expect(readCachedSnapshot(file)).not.toBeNull();
    chownSync(file, 1, 1);
    expect(readCachedSnapshot(file)).toBeNull();
    expect(existsSync(file)).toBe(true);
  });

  it('reports a folder it cannot write instead of throwing', () => {
    const blocker = join(scratch(), 'a-file');
    writeFileSync(blocker, 'not a folder');
    const error = writeCachedSnapshot(join(blocker, 'pyodide-snapshot-k.bin'), sample(false));
    expect(error).toBeInstanceOf(Error);
  });

  it("removes other installs' files untouched for a month, and keeps recent ones", () => {
    const dir = scratch();
    const old = join(dir, 'pyodide-snapshot-old.bin');
    const recent = join(dir, 'pyodide-snapshot-recent.bin');
    const unrelated = join(dir, 'notes.txt');
    for (const f of [old, recent, unrelated]) writeFileSync(f, 'x');
    const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    utimesSync(old, longAgo, longAgo);
    utimesSync(unrelated, longAgo, longAgo);
    expect(writeCachedSnapshot(join(dir, 'pyodide-snapshot-new.bin'), sample(false))).toBeNull();
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'pyodide-snapshot-new.bin', 'pyodide-snapshot-recent.bin']);
  });

  it('is named by a key that changes with any file of either folder and with nothing else', () => {
    const pyodide = scratch();
    const worker = scratch();
    writeFileSync(join(pyodide, 'pyodide.asm.wasm'), 'wasm');
    writeFileSync(join(worker, 'python-worker.mjs'), 'worker');
    mkdirSync(join(pyodide, 'node_modules'));
    const key = snapshotCacheKey(pyodide, worker);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    // Memoised per process: the same folders give the same key without reading them again.
    expect(snapshotCacheKey(pyodide, worker)).toBe(key);
    const other = scratch();
    writeFileSync(join(other, 'python-worker.mjs'), 'worker, changed');
    expect(snapshotCacheKey(pyodide, other)).not.toBe(key);
    const renamed = scratch();
    writeFileSync(join(renamed, 'python-worker2.mjs'), 'worker');
    expect(snapshotCacheKey(pyodide, renamed)).not.toBe(key);
    expect(snapshotCacheFile('/c', key)).toBe(`/c/pyodide-snapshot-${key}.bin`);
  });

  it('lives under $MOLRL_CACHE_DIR, else the user cache folder', () => {
    const saved = { molrl: process.env.MOLRL_CACHE_DIR, xdg: process.env.XDG_CACHE_HOME };
    try {
      process.env.MOLRL_CACHE_DIR = '/somewhere/molrl';
      expect(defaultSnapshotCacheDir()).toBe('/somewhere/molrl/sandbox');
      delete process.env.MOLRL_CACHE_DIR;
      process.env.XDG_CACHE_HOME = '/xdg';
      expect(defaultSnapshotCacheDir()).toBe('/xdg/molrl/sandbox');
    } finally {
      for (const [name, value] of [
        ['MOLRL_CACHE_DIR', saved.molrl],
        ['XDG_CACHE_HOME', saved.xdg],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('is an option createSandbox checks', async () => {
    for (const bad of ['', 5, true, null]) {
      await expect(createSandbox({ snapshotCache: bad as never })).rejects.toThrow(SandboxConfigError);
    }
    await expect(createSandbox({ snapshotCache: '' })).rejects.toThrow(
      'invalid sandbox option `snapshotCache`: expected a folder path or false, got an empty string',
    );
  });
});

const execFileAsync = promisify(execFile);

/** Start a sandbox of two workers in a new process; what it reports once a run went through. */
async function firstSandboxOfAProcess(cache: string | false): Promise<{
  full: number;
  fromSnapshot: number;
  readFrom: string | null;
  written: string[];
  discarded: string[];
  readyFailed: boolean;
  results: unknown[];
}> {
  const script = join(scratch(), 'first-sandbox.mts');
  const source = (path: string) => JSON.stringify(pathToFileURL(join(packageRoot, path)).href);
  writeFileSync(
    script,
    `import { createSandbox } from ${source('src/sandbox.ts')};
import { pythonWorkerStarts, pyodideDir, sharedSnapshot } from ${source('src/python/python-process.ts')};
const sandbox = await createSandbox({ workers: 2, pythonStandby: false, snapshotCache: ${JSON.stringify(cache)} });
// A worker that cannot start from the file fails ready(); a run then retries with a fresh worker.
const readyFailed = await sandbox.ready().then(() => false, () => true);
// Each run from the pristine interpreter: the second does not see the first's global.
const records = await sandbox.runMany([
  { language: 'python', code: 'import json\\nleft = 6 * 7\\nx = json.dumps([left])', resultVariable: 'x' },
  { language: 'python', code: 'x = "left" in globals()', resultVariable: 'x' },
  { language: 'python', code: 'x = "left" in globals()', resultVariable: 'x' },
]);
await sandbox.close();
const snapshot = sharedSnapshot(pyodideDir());
console.log(JSON.stringify({ ...pythonWorkerStarts(), readFrom: snapshot.readFrom ?? null, written: snapshot.written, discarded: snapshot.discarded, readyFailed, results: records.map((r) => r.result) }));
`,
  );
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script], {
    cwd: packageRoot,
    timeout: 180_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('across processes', () => {
  it("starts a new process's first sandbox from the file an earlier process wrote", { timeout: 600_000 }, async () => {
    const cache = scratch();
    const first = await firstSandboxOfAProcess(cache);
    // Both workers load in full at once; one of them makes the snapshot.
    expect([first.full, first.fromSnapshot, first.readFrom]).toEqual([2, 0, null]);
    expect(first.written).toHaveLength(1);
    const file = first.written[0]!;
    expect(dirname(file)).toBe(cache);
    expect(first.results).toEqual(['[42]', false, false]);

    const second = await firstSandboxOfAProcess(cache);
    expect([second.full, second.fromSnapshot, second.readFrom, second.written]).toEqual([0, 2, file, []]);
    expect(second.results).toEqual(['[42]', false, false]);

    // A damaged file: a full load again, and a good file in its place.
    const data = readFileSync(file);
    data[data.length - 1]! ^= 0xff;
    writeFileSync(file, data);
    const repaired = await firstSandboxOfAProcess(cache);
    expect([repaired.full, repaired.readFrom, repaired.written]).toEqual([2, null, [file]]);
    expect(readCachedSnapshot(file)).not.toBeNull();

    // A whole file (its checksum right) that the interpreter cannot start from: a worker fails,
    // the file is removed, the next workers load in full, and a good file takes its place.
    expect(writeCachedSnapshot(file, { bytes: new Uint8Array(4096).fill(7), trackedWasm: undefined })).toBeNull();
    const unusable = await firstSandboxOfAProcess(cache);
    expect(unusable.readyFailed).toBe(true);
    expect(unusable.discarded).toEqual([file]);
    expect(unusable.written).toEqual([file]);
    expect(unusable.full).toBeGreaterThanOrEqual(1);
    expect(unusable.results).toEqual(['[42]', false, false]);
    expect(readCachedSnapshot(file)!.bytes.byteLength).toBeGreaterThan(4096);

    // snapshotCache: false reads and writes nothing.
    const off = await firstSandboxOfAProcess(false);
    expect([off.full, off.readFrom, off.written]).toEqual([2, null, []]);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Limits, RunError, RunRecord, RunStatus } from '../types.js';
import { readCachedSnapshot, snapshotCacheFile, snapshotCacheKey, writeCachedSnapshot } from './snapshot-cache.js';

/** The worker script and the Python guest code, shipped beside src/ and dist/. */
export const WORKER_DIR = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'worker'));
const WORKER_SCRIPT = join(WORKER_DIR, 'python-worker.mjs');

/** The installed `pyodide` package folder: the interpreter, its WebAssembly and the stdlib. */
export function pyodideDir(): string {
  const require = createRequire(import.meta.url);
  return realpathSync(dirname(require.resolve('pyodide/package.json')));
}

/**
 * The Node flags that confine a worker: the permission model allows reading
 * only the Pyodide folder and the worker folder; everything else it gates
 * (file writes, child processes, worker threads, native addons, inspector) is
 * denied by default.
 */
export function workerNodeFlags(pyodide: string): string[] {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return [
    major >= 23 ? '--permission' : '--experimental-permission',
    `--allow-fs-read=${join(pyodide, '*')}`,
    `--allow-fs-read=${join(WORKER_DIR, '*')}`,
    // Known from Node 20.11 on; the warning would only reach the piped stderr.
    ...(major > 20 || minor >= 11 ? ['--disable-warning=ExperimentalWarning'] : []),
    // Pyodide's own JavaScript heap; the Python heap is bounded per run.
    '--max-old-space-size=256',
  ];
}

interface WorkerRecord {
  status: RunStatus;
  stdout: string;
  stderr: string;
  result: unknown;
  resultText: string | null;
  finalAnswer: boolean;
  error?: { name: string; message: string; line: number | null; traceback: string } | null;
  ms: number;
}

/** What a worker reports about its interpreter state between runs (see `PythonProcess.check`). */
export interface PristineCheck {
  /** Every byte of the WebAssembly heap equals the snapshot taken after set-up (and memory grown since is zero). */
  pristine: boolean;
  /** 'on', or 'off (why)': whether runs can be restored page by page. */
  tracking: string;
  /** How the last restore went: 'pages' (the pages the run marked) or 'whole' (every block compared). */
  lastRestore: { mode: 'none' | 'pages' | 'whole'; pages: number };
  /** Restores of each kind so far. */
  restores: { pages: number; whole: number };
  /** The heap address of the dirty map (one byte per 4 KiB page), 0 when there is none. */
  dirtyMap: number;
}

type WorkerMessage =
  | { type: 'ready'; python: string; heapBytes: number }
  | { type: 'snapshot'; bytes: Uint8Array }
  | ({ type: 'tracked-wasm' } & TrackedWasm)
  | { type: 'result'; id: number; record: WorkerRecord; recycle: boolean; heapBytes: number }
  | ({ type: 'checked'; id: number } & PristineCheck);

/**
 * How long past a run's time limit the host waits before killing the worker.
 * The worker ends an overlong run itself (a deadline checked by the
 * interpreter, and V8's watchdog for long C-level operations); the kill is the
 * backstop for a worker that no longer answers.
 */
const BACKSTOP_MS = 1_000;

interface PendingRun {
  id: number;
  resolve: (record: RunRecord) => void;
  timer: NodeJS.Timeout;
  started: number;
  limits: Limits;
}

/** The interpreter's WebAssembly rewritten with write tracking, and the hash of the bytes it came from. */
export interface TrackedWasm {
  sourceHash: string;
  bytes: Uint8Array;
  bootMap: number;
}

/**
 * A memory snapshot of a freshly loaded interpreter (stdlib modules imported,
 * no sandbox guards yet, no user code ever run): the first worker makes it,
 * the workers started after it load from it in a fraction of a full load.
 */
export class PyodideSnapshot {
  bytes: Uint8Array | undefined;
  /** The first worker's rewrite of the interpreter, handed to the workers started after it. */
  trackedWasm: TrackedWasm | undefined;
  /** Whether a worker is making the snapshot now. */
  requested = false;
  private announce!: () => void;
  /** Resolves once the snapshot is there. */
  readonly available = new Promise<void>((resolve) => (this.announce = resolve));
  private abandon: () => void = () => {};
  private abandoned: Promise<void> = Promise.resolve();

  /** Claim the making of the snapshot for a worker: false when it exists or another worker makes it. */
  request(): boolean {
    if (this.bytes || this.requested) return false;
    this.requested = true;
    this.abandoned = new Promise<void>((resolve) => (this.abandon = resolve));
    return true;
  }

  /** The worker that claimed it ended without making it: the next worker started may. */
  release(): void {
    if (this.bytes || !this.requested) return;
    this.requested = false;
    this.abandon();
  }

  set(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.announce();
  }

  /** Resolves once the snapshot is there or no worker is making it (its maker ended without it). */
  settled(): Promise<void> {
    return this.bytes || !this.requested ? Promise.resolve() : Promise.race([this.available, this.abandoned]);
  }

  /** The cache file this snapshot was read from, if it was. */
  readFrom: string | undefined;
  /** Cache files to write once the snapshot is made here. */
  private readonly writeTo = new Set<string>();
  /** Cache files written by this process, and the last write's error (a cache that cannot be written only costs time). */
  readonly written: string[] = [];
  writeError: Error | null = null;
  /** Cache files removed because a worker could not start from them. */
  readonly discarded: string[] = [];
  /** Whether the worker that made the snapshot has handed in all of it. */
  private complete = false;

  /**
   * Keep this snapshot in the cache folder `dir` of the interpreter in `pyodide`:
   * read it from there when no worker has made or is making one yet; else
   * write it there once it is made (now, if it is made already).
   */
  useCache(pyodide: string, dir: string): void {
    const file = snapshotCacheFile(dir, snapshotCacheKey(pyodide, WORKER_DIR));
    if (!this.bytes && !this.requested) {
      const cached = readCachedSnapshot(file);
      if (cached) {
        this.trackedWasm = cached.trackedWasm;
        this.readFrom = file;
        this.set(cached.bytes);
        return;
      }
    }
    if (file === this.readFrom || this.written.includes(file)) return;
    this.writeTo.add(file);
    if (this.complete) this.made();
  }

  /**
   * A worker could not start from `bytes`, read from a cache file: remove the file and
   * forget the snapshot, so that the next worker loads in full and makes a new one.
   */
  discardCached(bytes: Uint8Array): void {
    if (!this.readFrom || this.bytes !== bytes) return;
    try {
      rmSync(this.readFrom, { force: true });
    } catch {
      // A read-only cache: the file stays, this process no longer uses it.
    }
    this.discarded.push(this.readFrom);
    // The snapshot the next worker makes goes there instead.
    this.writeTo.add(this.readFrom);
    this.readFrom = undefined;
    this.bytes = undefined;
    this.trackedWasm = undefined;
  }

  /** The snapshot is made (its maker is ready, the rewritten interpreter handed in too): write it to the cache files. */
  made(): void {
    if (!this.bytes) return;
    this.complete = true;
    for (const file of this.writeTo) {
      const error = writeCachedSnapshot(file, { bytes: this.bytes, trackedWasm: this.trackedWasm });
      if (error) this.writeError = error;
      else this.written.push(file);
    }
    this.writeTo.clear();
  }
}

const snapshots = new Map<string, PyodideSnapshot>();

/**
 * The snapshot of the interpreter in `pyodide` for every sandbox of this
 * process: a sandbox created after another starts its workers from it
 * instead of loading Pyodide again (and, with a snapshot cache, a process's
 * first sandbox from the cache file: `useCache`). It
 * holds no state of any sandbox: it is taken before the guards are set up
 * and before any code has run.
 */
export function sharedSnapshot(pyodide: string): PyodideSnapshot {
  let snapshot = snapshots.get(pyodide);
  if (!snapshot) snapshots.set(pyodide, (snapshot = new PyodideSnapshot()));
  return snapshot;
}

const starts = { fromSnapshot: 0, full: 0 };

/** Workers started in this process so far: from a snapshot, or with a full load of Pyodide. */
export function pythonWorkerStarts(): { fromSnapshot: number; full: number } {
  return { ...starts };
}

/** How a worker's life ended, as reported to its owner. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * One confined Node process running Pyodide. It runs one request at a time;
 * a request that overstays its time limit is answered with `timeout` and the
 * process is killed (the owner then starts a new one).
 */
export class PythonProcess {
  readonly ready: Promise<void>;
  /** Runs completed by this process. */
  runs = 0;
  /** Set once the process should not take more work (killed, exited, or asked to recycle). */
  retired = false;
  python = '';
  isReady = false;
  /** The worker's WebAssembly heap size after its last run (runs may grow it). */
  heapBytes = 0;
  private readonly child: ChildProcess;
  private pending: PendingRun | undefined;
  private nextId = 1;
  private stderrTail = '';
  private readonly exited: Promise<ExitInfo>;

  /**
   * @param guard false only to test the process layer on its own: the worker
   *   then starts without the interpreter's guards (audit hook, module and
   *   file-system policy, bridge removal).
   */
  constructor(pyodide: string, snapshot: PyodideSnapshot, guard = true) {
    this.child = spawn(process.execPath, [...workerNodeFlags(pyodide), WORKER_SCRIPT, pyodide], {
      env: {},
      cwd: WORKER_DIR,
      // fd 4: the snapshot's bytes, host to worker (see below).
      stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'],
      // Structured clone, so the first worker's snapshot comes back as bytes.
      serialization: 'advanced',
    });
    const makeSnapshot = snapshot.request();
    starts[snapshot.bytes ? 'fromSnapshot' : 'full']++;
    const { bytes, trackedWasm } = snapshot;
    this.child.send({
      type: 'init',
      snapshotBytes: bytes?.byteLength ?? 0,
      trackedWasm: trackedWasm
        ? { sourceHash: trackedWasm.sourceHash, bootMap: trackedWasm.bootMap, byteLength: trackedWasm.bytes.byteLength }
        : null,
      makeSnapshot,
      guard,
    });
    // The snapshot and the rewritten interpreter (44 MB with Pyodide 314) follow as raw bytes on
    // their own pipe, written from where they lie: sent in the message, structured clone copied
    // them on this thread first (140 ms a worker here). A worker that dies before it has read
    // them ends the pipe early; its exit is reported through `exited`.
    const bulk = this.child.stdio[4] as Writable;
    bulk.on('error', () => {});
    if (bytes) bulk.write(bytes);
    if (trackedWasm) bulk.write(trackedWasm.bytes);
    bulk.end();
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4096);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.retired = true;
        this.failPending(code, signal);
        resolve({ code, signal, stderr: this.stderrTail });
      });
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        // Only a process asked for it, and only before it is ready (before any
        // user code has run in it), may hand in the pool's snapshot.
        if (
          message?.type === 'snapshot' &&
          makeSnapshot &&
          !this.isReady &&
          !snapshot.bytes &&
          message.bytes instanceof Uint8Array
        ) {
          snapshot.set(message.bytes);
        }
        if (
          message?.type === 'tracked-wasm' &&
          makeSnapshot &&
          !this.isReady &&
          !snapshot.trackedWasm &&
          message.bytes instanceof Uint8Array &&
          typeof message.sourceHash === 'string' &&
          typeof message.bootMap === 'number'
        ) {
          snapshot.trackedWasm = { sourceHash: message.sourceHash, bytes: message.bytes, bootMap: message.bootMap };
        }
        if (message?.type === 'ready') {
          // Its snapshot and rewrite came before this message: both are in now.
          if (makeSnapshot) snapshot.made();
          this.python = message.python;
          this.heapBytes = typeof message.heapBytes === 'number' ? message.heapBytes : 0;
          this.isReady = true;
          resolve();
        }
      };
      this.child.on('message', onMessage);
      this.child.once('error', reject);
      void this.exited.then((info) => {
        if (makeSnapshot) snapshot.release();
        // Ended on its own (not killed) before it was ready, started from a snapshot read from a
        // cache file: that file is not used again, and the next worker loads in full.
        if (bytes && !this.isReady && info.signal === null) snapshot.discardCached(bytes);
        reject(
          new Error(
            `the Python worker exited before it was ready (code ${info.code}, signal ${info.signal}): ${info.stderr}`,
          ),
        );
      });
    });
    // Readiness failures surface through `ready` to whoever awaits it.
    this.ready.catch(() => {});
    this.child.on('message', (message: WorkerMessage) => this.onMessage(message));
  }

  /** Resolves when the process has exited. */
  get whenExited(): Promise<ExitInfo> {
    return this.exited;
  }

  run(code: string, limits: Limits, resultVariable: string | undefined): Promise<RunRecord> {
    if (this.pending) throw new Error('PythonProcess.run: a run is already in progress');
    const id = this.nextId++;
    const started = performance.now();
    return new Promise<RunRecord>((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = undefined;
        this.kill();
        resolve(hostRecord('timeout', started, 'Timeout', `the run exceeded its time limit (${limits.timeoutMs} ms)`));
      }, limits.timeoutMs + BACKSTOP_MS);
      this.pending = { id, resolve, timer, started, limits };
      this.child.send({
        type: 'run',
        id,
        code,
        timeoutMs: limits.timeoutMs,
        memoryBytes: limits.memoryMb * 2 ** 20,
        outputBytes: limits.outputBytes,
        resultBytes: limits.resultBytes,
        resultVariable: resultVariable ?? null,
      });
    });
  }

  /**
   * Ask the worker whether its interpreter is pristine: it compares every byte
   * of its heap with its snapshot (tens of milliseconds; for tests and
   * diagnostics, between runs only).
   */
  check(): Promise<PristineCheck> {
    if (this.pending) return Promise.reject(new Error('PythonProcess.check: a run is in progress'));
    const id = this.nextId++;
    return new Promise<PristineCheck>((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message?.type !== 'checked' || message.id !== id) return;
        this.child.off('message', onMessage);
        const { pristine, tracking, lastRestore, restores, dirtyMap } = message;
        resolve({ pristine: pristine === true, tracking: String(tracking), lastRestore, restores, dirtyMap });
      };
      this.child.on('message', onMessage);
      void this.exited.then(() => {
        this.child.off('message', onMessage);
        reject(new Error('PythonProcess.check: the worker exited'));
      });
      this.child.send({ type: 'check', id });
    });
  }

  kill(): void {
    this.retired = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private onMessage(message: WorkerMessage): void {
    if (!message || message.type !== 'result') return;
    const pending = this.pending;
    if (!pending || pending.id !== message.id) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    this.runs++;
    if (message.recycle) this.retired = true;
    if (typeof message.heapBytes === 'number') this.heapBytes = message.heapBytes;
    pending.resolve(fromWorker(message.record, pending));
  }

  private failPending(code: number | null, signal: NodeJS.Signals | null): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    // A process that dies mid-run without answering ran out of memory (V8 aborts
    // with SIGABRT / exit 134 on heap exhaustion) or crashed.
    const memory =
      signal === 'SIGABRT' || code === 134 || /heap out of memory|allocation failed/i.test(this.stderrTail);
    pending.resolve(
      hostRecord(
        memory ? 'memory' : 'runtime-error',
        pending.started,
        memory ? 'MemoryLimit' : 'WorkerCrash',
        `the Python worker died during the run (code ${code}, signal ${signal})`,
      ),
    );
  }
}

const STATUSES: ReadonlySet<string> = new Set([
  'ok',
  'syntax-error',
  'runtime-error',
  'timeout',
  'memory',
  'output-limit',
  'forbidden',
]);

const text = (value: unknown, limit: number): string => (typeof value === 'string' ? value.slice(0, limit) : '');

/**
 * The worker's record, taken as untrusted data: every field is checked and
 * bounded, so even a subverted worker can only ever report a well-formed record.
 */
function fromWorker(r: WorkerRecord, pending: PendingRun): RunRecord {
  const limit = pending.limits.outputBytes;
  let status: RunStatus = r && STATUSES.has(r.status) ? r.status : 'runtime-error';
  let result = r?.result ?? null;
  let resultText = typeof r?.resultText === 'string' ? r.resultText : null;
  // The worker bounds the result; a worker that did not is not believed.
  if (resultBytes(result, resultText) > pending.limits.resultBytes) {
    status = 'output-limit';
    result = resultText = null;
  }
  const record: RunRecord = {
    status,
    stdout: text(r?.stdout, limit),
    stderr: text(r?.stderr, limit),
    result,
    resultText,
    finalAnswer: r?.finalAnswer === true,
    ms: performance.now() - pending.started,
  };
  if (status !== 'ok') {
    const e = r?.error;
    const error: RunError = {
      kind: status,
      name: text(e?.name, 200) || status,
      message:
        text(e?.message, 4096) ||
        (status === 'output-limit' ? `the run's output or result passed its limit (${limit} bytes)` : ''),
    };
    if (typeof e?.line === 'number' && Number.isInteger(e.line)) error.line = e.line;
    if (typeof e?.traceback === 'string' && e.traceback) error.traceback = e.traceback.slice(0, 8192);
    record.error = error;
  }
  return record;
}

/** UTF-8 bytes of a result: its JSON plus its text. */
export function resultBytes(result: unknown, resultText: string | null): number {
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch {
    return Infinity;
  }
  return Buffer.byteLength(json ?? 'null') + (resultText === null ? 0 : Buffer.byteLength(resultText));
}

function hostRecord(status: Exclude<RunStatus, 'ok'>, started: number, name: string, message: string): RunRecord {
  return {
    status,
    stdout: '',
    stderr: '',
    result: null,
    resultText: null,
    finalAnswer: false,
    error: { kind: status, name, message },
    ms: performance.now() - started,
  };
}

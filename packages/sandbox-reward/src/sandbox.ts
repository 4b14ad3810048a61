import { availableParallelism } from 'node:os';
import { describeValue, SandboxClosedError, SandboxConfigError } from './errors.js';
import { JsRunner } from './javascript/js-runner.js';
import { DEFAULT_LIMITS, resolveLimits } from './limits.js';
import { pyodideDir, sharedSnapshot } from './python/python-process.js';
import { defaultSnapshotCacheDir } from './python/snapshot-cache.js';
import { PythonSlot } from './python/python-slot.js';
import { SlotPool } from './slot-pool.js';
import type { Limits, RunRecord, RunRequest, SandboxOptions } from './types.js';

/** A pool of JavaScript isolates and Python workers that runs untrusted code. */
export interface Sandbox {
  /** Run one request. Never rejects for bad code: every outcome is a `RunRecord`. */
  run(request: RunRequest): Promise<RunRecord>;
  /** Run many requests across the pool; records come back in request order. */
  runMany(requests: readonly RunRequest[]): Promise<RunRecord[]>;
  /** Resolves when every Python worker (and its standby) has loaded Pyodide (JavaScript needs no warm-up). */
  ready(): Promise<void>;
  /** Stop every worker. Runs still in flight or queued may reject with `SandboxClosedError`; later calls reject. */
  close(): Promise<void>;
  /** The number of workers per language. */
  readonly workers: number;
  /** The default limits of a run. */
  readonly limits: Readonly<Limits>;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const REQUEST_FIELDS = new Set(['language', 'code', 'limits', 'resultVariable']);

export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  if (options === null || typeof options !== 'object') {
    throw new SandboxConfigError('options', `expected an object, got ${options === null ? 'null' : typeof options}`);
  }
  const known = new Set([
    'workers',
    'limits',
    'warmPython',
    'maxRunsPerPythonWorker',
    'pythonStandby',
    'snapshotCache',
  ]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new SandboxConfigError(key, `unknown option (known: ${[...known].join(', ')})`);
  }
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new SandboxConfigError('workers', `expected an integer in [1, 256], got ${String(options.workers)}`);
  }
  const maxRuns = options.maxRunsPerPythonWorker ?? 1000;
  if (!Number.isInteger(maxRuns) || maxRuns < 1) {
    throw new SandboxConfigError('maxRunsPerPythonWorker', `expected a positive integer, got ${String(maxRuns)}`);
  }
  const warmPython = options.warmPython ?? true;
  if (typeof warmPython !== 'boolean') {
    throw new SandboxConfigError('warmPython', `expected a boolean, got ${describeValue(warmPython)}`);
  }
  const pythonStandby = options.pythonStandby ?? true;
  if (typeof pythonStandby !== 'boolean') {
    throw new SandboxConfigError('pythonStandby', `expected a boolean, got ${typeof pythonStandby}`);
  }
  const snapshotCache = options.snapshotCache === undefined ? defaultSnapshotCacheDir() : options.snapshotCache;
  if (snapshotCache !== false && (typeof snapshotCache !== 'string' || snapshotCache === '')) {
    throw new SandboxConfigError(
      'snapshotCache',
      `expected a folder path or false, got ${snapshotCache === '' ? 'an empty string' : snapshotCache === null ? 'null' : typeof snapshotCache}`,
    );
  }
  const limits = Object.freeze(resolveLimits(DEFAULT_LIMITS, options.limits, 'limits'));

  const jsPool = new SlotPool(Array.from({ length: workers }, () => new JsRunner()));
  const pyodide = pyodideDir();
  const snapshot = sharedSnapshot(pyodide);
  if (snapshotCache) snapshot.useCache(pyodide, snapshotCache);
  const pyPool = new SlotPool(
    Array.from({ length: workers }, () => new PythonSlot(pyodide, maxRuns, snapshot, pythonStandby)),
    (slot) => slot.isReady,
  );
  let closed = false;

  // Each call waits for the workers (and standbys) there are now: after a
  // worker was replaced, ready() resolves once its replacement has loaded.
  const warm = (): Promise<void> => Promise.all(pyPool.workers.map((slot) => slot.warm())).then(() => undefined);
  if (warmPython) {
    // Errors surface on ready() or on the first Python run.
    warm().catch(() => {});
  }

  const validate = (request: RunRequest, where: string): { limits: Limits; resultVariable: string | undefined } => {
    if (request === null || typeof request !== 'object') {
      throw new SandboxConfigError(
        where,
        `expected a request object, got ${request === null ? 'null' : typeof request}`,
      );
    }
    for (const key of Object.keys(request)) {
      if (!REQUEST_FIELDS.has(key)) {
        throw new SandboxConfigError(
          `${where}.${key}`,
          `unknown request field (known: ${[...REQUEST_FIELDS].join(', ')}; limits go in \`limits\`)`,
        );
      }
    }
    if (request.language !== 'python' && request.language !== 'javascript') {
      throw new SandboxConfigError(
        `${where}.language`,
        `expected 'python' or 'javascript', got ${JSON.stringify(request.language)}`,
      );
    }
    if (typeof request.code !== 'string') {
      throw new SandboxConfigError(`${where}.code`, `expected a string, got ${typeof request.code}`);
    }
    if (
      request.resultVariable !== undefined &&
      (typeof request.resultVariable !== 'string' || !IDENTIFIER.test(request.resultVariable))
    ) {
      throw new SandboxConfigError(
        `${where}.resultVariable`,
        `expected an identifier, got ${JSON.stringify(request.resultVariable)}`,
      );
    }
    return { limits: resolveLimits(limits, request.limits, `${where}.limits`), resultVariable: request.resultVariable };
  };

  const execute = (
    request: RunRequest,
    checked: { limits: Limits; resultVariable: string | undefined },
  ): Promise<RunRecord> => {
    if (request.language === 'javascript') {
      return jsPool.use((runner) => runner.run(request.code, checked.limits, checked.resultVariable));
    }
    return pyPool.use((slot) => slot.run(request.code, checked.limits, checked.resultVariable));
  };

  const sandbox: Sandbox = {
    workers,
    limits,
    async run(request) {
      if (closed) throw new SandboxClosedError();
      const checked = validate(request, 'request');
      return execute(request, checked);
    },
    async runMany(requests) {
      if (closed) throw new SandboxClosedError();
      if (!Array.isArray(requests)) throw new SandboxConfigError('requests', 'expected an array of requests');
      // Validate everything first, so bad configuration fails before any code runs. By index, not
      // map(): map() skips the holes of a sparse array, whose records would come back undefined.
      const checked = Array.from({ length: requests.length }, (_, i) => validate(requests[i]!, `requests[${i}]`));
      return Promise.all(checked.map((c, i) => execute(requests[i]!, c)));
    },
    ready() {
      if (closed) return Promise.reject(new SandboxClosedError());
      return warm();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const runner of jsPool.workers) runner.close();
      await Promise.all(pyPool.workers.map((slot) => slot.close()));
    },
  };
  return sandbox;
}

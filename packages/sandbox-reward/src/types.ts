/** The languages the sandbox runs. */
export type Language = 'python' | 'javascript';

/** How a run ended. Every status except `ok` comes with an `error`. */
export type RunStatus = 'ok' | 'syntax-error' | 'runtime-error' | 'timeout' | 'memory' | 'output-limit' | 'forbidden';

/** Resource limits of one run. */
export interface Limits {
  /** Wall-clock limit in milliseconds; the run is stopped when it is reached. */
  timeoutMs: number;
  /**
   * CPU-time limit in milliseconds (JavaScript: measured on the isolate after
   * the run). Python workers are single-threaded, so their wall-clock limit
   * bounds CPU time as well.
   */
  cpuMs: number;
  /** Heap limit in MiB (JavaScript: the isolate's heap; Python: the interpreter's WebAssembly heap). */
  memoryMb: number;
  /** Bytes of stdout + stderr a run may write; past it the run stops with `output-limit`. */
  outputBytes: number;
  /**
   * Bytes of the result a run may hand back (`result` as JSON plus
   * `resultText`, UTF-8); past it the run ends with `output-limit` and the
   * value never leaves the sandbox.
   */
  resultBytes: number;
}

/** One piece of code to run. */
export interface RunRequest {
  language: Language;
  code: string;
  /** Overrides of the sandbox's default limits for this run. */
  limits?: Partial<Limits>;
  /**
   * Also report the value of this top-level variable as the run's result when
   * the code does not call `final_answer(...)`.
   */
  resultVariable?: string;
}

/** Why a run did not end with `ok`. */
export interface RunError {
  kind: Exclude<RunStatus, 'ok'>;
  /** The exception's name (`ZeroDivisionError`, `ReferenceError`, `SandboxViolation`...). */
  name: string;
  message: string;
  /** 1-based line in the user code, when known. */
  line?: number;
  /** The traceback / stack, restricted to the user's code, when known. */
  traceback?: string;
}

/** The structured outcome of one run. */
export interface RunRecord {
  status: RunStatus;
  /** Captured standard output (cut at the output limit). */
  stdout: string;
  /** Captured standard error (cut at the output limit). */
  stderr: string;
  /**
   * The value passed to `final_answer(x)`, or else the value of
   * `resultVariable`, as JSON data (integers beyond 2^53 and non-finite floats
   * become strings; other objects become their string form). `null` when there
   * is none.
   */
  result: unknown;
  /** `str(x)` / `String(x)` of the result, `null` when there is none. */
  resultText: string | null;
  /** Whether the code called `final_answer(...)`. */
  finalAnswer: boolean;
  error?: RunError;
  /** Wall-clock time of the run in milliseconds, as seen by the host. */
  ms: number;
}

/** Options of `createSandbox`. */
export interface SandboxOptions {
  /** Parallel workers per language (default: the number of CPUs). */
  workers?: number;
  /** Default limits of every run. */
  limits?: Partial<Limits>;
  /** Start the Python workers (load Pyodide) right away, in the background (default true). */
  warmPython?: boolean;
  /**
   * A Python worker is replaced after this many runs (default 1000), bounding
   * how long state a run might leave behind in the interpreter can live.
   */
  maxRunsPerPythonWorker?: number;
  /**
   * Keep a loaded standby process beside every Python worker (default true),
   * so a worker killed for a timeout is replaced at once; costs one more
   * process (~200 MB resident) per worker.
   */
  pythonStandby?: boolean;
  /**
   * A folder where the interpreter snapshot is kept between processes, so a
   * process's first sandbox starts its workers from it instead of loading
   * Pyodide in full; `false`: none. Default `$MOLRL_CACHE_DIR/sandbox`, else
   * `~/.cache/molrl/sandbox` (under `$XDG_CACHE_HOME` when set).
   */
  snapshotCache?: string | false;
}

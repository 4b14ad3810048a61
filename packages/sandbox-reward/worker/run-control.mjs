// The state of the run in progress that only the worker's JavaScript holds:
// why it was ended (a violation, an output or result flood, its deadline) and
// the violations seen. Python code can neither read nor reset it, so a run's
// status never depends on what the run did to the interpreter.
//
// Ending a run throws a RunEnded error from whatever JavaScript function the
// interpreter called (a file-system call, the audit hook, the signal check).
// It unwinds every WebAssembly frame: no Python `except` or `finally` of the
// run executes afterwards, and the heap is restored from the snapshot.

/** Thrown to end a run at once; Pyodide re-throws errors marked as fatal instead of converting them. */
export class RunEnded extends Error {
  constructor(kind, message) {
    super(message);
    this.name = 'RunEnded';
    this.kind = kind;
    this.pyodide_fatal_error = true;
  }
}

const now = performance.now.bind(performance);

export const runControl = {
  /** Whether a run is in progress (outside runs, e.g. while booting, nothing is ended). */
  active: false,
  /** performance.now() past which the run ends with `timeout`. */
  deadline: Infinity,
  /** The first RunEnded of this run, once ended. */
  ended: null,
  /** Violations of this run, at most 16, as text. */
  violations: [],

  begin(timeoutMs) {
    this.active = true;
    this.deadline = now() + timeoutMs;
    this.ended = null;
    this.violations = [];
  },

  finish() {
    this.active = false;
    this.deadline = Infinity;
  },

  /** End the run (once: later calls re-throw the first reason). */
  end(kind, message) {
    if (!this.ended) this.ended = new RunEnded(kind, message);
    throw this.ended;
  },

  /** Record a violation and end the run as `forbidden`. */
  forbid(what) {
    if (!this.active) return;
    if (this.violations.length < 16) this.violations.push(String(what));
    this.end('forbidden', `forbidden in the sandbox: ${what}`);
  },

  /** Called by the interpreter's periodic signal check: past the deadline (or once ended), stop. */
  check() {
    if (!this.active) return;
    if (this.ended) throw this.ended;
    if (now() > this.deadline) this.end('timeout', 'the run exceeded its time limit');
  },
};

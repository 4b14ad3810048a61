import { SandboxClosedError } from '../errors.js';
import type { Limits, RunRecord } from '../types.js';
import { PythonProcess, type PyodideSnapshot } from './python-process.js';

/**
 * One place in the Python pool. It owns a worker process and replaces it, in
 * the background, whenever the process is retired: killed for a timeout, dead
 * (a fatal interpreter error), or after `maxRuns` runs.
 */
export class PythonSlot {
  private process: PythonProcess | undefined;
  private closed = false;

  constructor(
    private readonly pyodide: string,
    private readonly maxRuns: number,
    private readonly snapshot: PyodideSnapshot,
  ) {}

  /** Whether the current worker has loaded Pyodide and can run at once. */
  get isReady(): boolean {
    return this.process !== undefined && !this.process.retired && this.process.isReady;
  }

  /** Start the worker now (if it is not running) and resolve when Pyodide is loaded. */
  warm(): Promise<void> {
    return this.current().ready;
  }

  async run(code: string, limits: Limits, resultVariable: string | undefined): Promise<RunRecord> {
    let worker = this.current();
    try {
      await worker.ready;
    } catch {
      // One retry with a fresh process: a worker can be lost to an outside kill.
      worker.kill();
      worker = this.current();
      await worker.ready;
    }
    const record = await worker.run(code, limits, resultVariable);
    if (worker.runs >= this.maxRuns) worker.retired = true;
    if (worker.retired) this.replace(worker);
    return record;
  }

  close(): Promise<unknown> {
    this.closed = true;
    const worker = this.process;
    this.process = undefined;
    if (!worker) return Promise.resolve();
    worker.kill();
    return worker.whenExited;
  }

  private current(): PythonProcess {
    if (this.closed) throw new SandboxClosedError();
    if (!this.process || this.process.retired) this.replace(this.process);
    return this.process!;
  }

  private replace(old: PythonProcess | undefined): void {
    if (old && this.process !== old) return;
    old?.kill();
    if (this.closed) return;
    this.process = new PythonProcess(this.pyodide, this.snapshot);
  }
}

import { SandboxClosedError } from '../errors.js';
import type { Limits, RunRecord } from '../types.js';
import { PythonProcess, type PyodideSnapshot } from './python-process.js';

/**
 * One place in the Python pool. It owns a worker process and replaces it
 * whenever the process is retired: killed for a timeout, dead (a fatal
 * interpreter error), or after `maxRuns` runs. With `standby`, a second,
 * already loaded process waits beside it, so a replacement costs no load time
 * (a new standby then loads in the background, from the pool's snapshot).
 */
export class PythonSlot {
  private process: PythonProcess | undefined;
  /** The next worker, loaded ahead of need. */
  private standby: PythonProcess | undefined;
  private closed = false;

  constructor(
    private readonly pyodide: string,
    private readonly maxRuns: number,
    private readonly snapshot: PyodideSnapshot,
    private readonly keepStandby: boolean,
  ) {}

  /** Whether the current worker has loaded Pyodide and can run at once. */
  get isReady(): boolean {
    return this.process !== undefined && !this.process.retired && this.process.isReady;
  }

  /** Start the worker now (if it is not running) and resolve when it and its standby are loaded. */
  async warm(): Promise<void> {
    await this.current().ready;
    if (!this.keepStandby) return;
    // The first worker to load makes the snapshot standbys start from (it may
    // belong to another sandbox of this process, which may close before it is made).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.snapshot.settled(), new Promise((resolve) => (timer = setTimeout(resolve, 120_000)))]);
    clearTimeout(timer);
    this.ensureStandby();
    // The standby loads from the snapshot; a failure surfaces when it is used.
    await this.standby?.ready.catch(() => {});
  }

  async run(code: string, limits: Limits, resultVariable: string | undefined): Promise<RunRecord> {
    let worker = this.current();
    // An earlier run grew this worker's heap past this run's memory limit: the
    // room is already there, so only a fresh worker can hold the limit.
    if (worker.heapBytes > limits.memoryMb * 2 ** 20) {
      worker.retired = true;
      this.replace(worker);
      worker = this.current();
    }
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
    this.ensureStandby();
    return record;
  }

  close(): Promise<unknown> {
    this.closed = true;
    const workers = [this.process, this.standby].filter((w): w is PythonProcess => w !== undefined);
    this.process = this.standby = undefined;
    for (const worker of workers) worker.kill();
    return Promise.all(workers.map((w) => w.whenExited));
  }

  /** Start loading a standby (from the snapshot, once there is one) if there is none. */
  private ensureStandby(): void {
    if (!this.keepStandby || this.closed || !this.snapshot.bytes) return;
    if (this.standby && !this.standby.retired) return;
    this.standby = new PythonProcess(this.pyodide, this.snapshot);
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
    const standby = this.standby;
    this.standby = undefined;
    this.process = standby && !standby.retired ? standby : new PythonProcess(this.pyodide, this.snapshot);
  }
}

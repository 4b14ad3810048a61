/**
 * A fixed set of workers and a FIFO queue of tasks: each task gets the first
 * free worker, and a worker runs one task at a time.
 */
export class SlotPool<W> {
  private readonly free: W[];
  private readonly waiting: Array<(worker: W) => void> = [];

  constructor(
    readonly workers: readonly W[],
    /** Among free workers, one for which this holds is taken first (e.g. one that is warm). */
    private readonly preferred: (worker: W) => boolean = () => true,
  ) {
    this.free = [...workers];
  }

  async use<T>(task: (worker: W) => Promise<T>): Promise<T> {
    const index = this.free.findIndex(this.preferred);
    const worker =
      index >= 0
        ? this.free.splice(index, 1)[0]!
        : (this.free.pop() ?? (await new Promise<W>((resolve) => this.waiting.push(resolve))));
    try {
      return await task(worker);
    } finally {
      const next = this.waiting.shift();
      if (next) next(worker);
      else this.free.push(worker);
    }
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.waiting.length;
  }
}

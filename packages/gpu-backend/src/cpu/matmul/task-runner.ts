/**
 * The work-sharing protocol between the calling thread and the GEMM workers,
 * over a control block at the start of the shared memory.
 *
 * A job is a grid of tasks (one MC x NC block of C each, over the whole k).
 * The caller writes the job's parameters, then publishes `state` = (generation
 * << 32 | next task = 0). Every thread claims tasks with a compare-exchange that
 * only succeeds while the generation it read the parameters under is current,
 * so a thread that wakes late can never run a task with another job's
 * parameters. Each finished task increments `tasksDone`; the caller returns
 * when it equals the task count. A thread that is slow to wake simply finds
 * no task left: the caller never waits for an idle worker, which matters on a
 * machine whose cores are shared with other work.
 */

/** Int32 indices into the control block (the state is BigInt64 index 0). */
export const CONTROL = {
  tasksDone: 2,
  quit: 3,
  workerTasks: 4,
  numTasks: 5,
  mBlocks: 6,
  mc: 7,
  nc: 8,
  kcMax: 9,
  k: 10,
  mPad: 11,
  nPad: 12,
  aPtr: 13,
  bPtr: 14,
  cPtr: 15,
  mr: 16,
  nr: 17,
} as const;

/** Bytes reserved for the control block at address 0. */
export const CONTROL_BYTES = 256;

export type BlockFn = (aPtr: number, bPtr: number, cPtr: number, ldcBytes: number, mPanels: number, nPanels: number, kc: number, accumulate: number) => void;

/**
 * Claim and run tasks of the current job until none is left. Returns the
 * state value at which no task was left (a worker then sleeps until it
 * changes). Self-contained on purpose: its source is also embedded in the
 * worker script, so it may only use its arguments and globals.
 */
export function runTasks(i32: Int32Array, i64: BigInt64Array, block: BlockFn, L: typeof CONTROL, isWorker: boolean): bigint {
  for (;;) {
    const s = Atomics.load(i64, 0);
    const t = Number(s & 0xffffffffn);
    const numTasks = Atomics.load(i32, L.numTasks);
    if (t >= numTasks) return s;
    const mBlocks = i32[L.mBlocks]!;
    const mc = i32[L.mc]!;
    const nc = i32[L.nc]!;
    const kcMax = i32[L.kcMax]!;
    const k = i32[L.k]!;
    const mPad = i32[L.mPad]!;
    const nPad = i32[L.nPad]!;
    const aPtr = i32[L.aPtr]!;
    const bPtr = i32[L.bPtr]!;
    const cPtr = i32[L.cPtr]!;
    const mr = i32[L.mr]!;
    const nr = i32[L.nr]!;
    if (Atomics.compareExchange(i64, 0, s, s + 1n) !== s) continue;
    const ib = t % mBlocks;
    const jb = (t - ib) / mBlocks;
    const r0 = ib * mc;
    const c0 = jb * nc;
    const mPanels = Math.min(mc, mPad - r0) / mr;
    const nPanels = Math.min(nc, nPad - c0) / nr;
    const cTile = cPtr + (r0 * nPad + c0) * 4;
    for (let k0 = 0; k0 < k; k0 += kcMax) {
      const kc = Math.min(kcMax, k - k0);
      block(aPtr + (k0 * mPad + r0 * kc) * 4, bPtr + (k0 * nPad + c0 * kc) * 4, cTile, nPad * 4, mPanels, nPanels, kc, k0 > 0 ? 1 : 0);
    }
    if (isWorker) Atomics.add(i32, L.workerTasks, 1);
    if (Atomics.add(i32, L.tasksDone, 1) + 1 === numTasks) Atomics.notify(i32, L.tasksDone);
  }
}

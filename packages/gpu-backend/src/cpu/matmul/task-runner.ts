/**
 * The work-sharing protocol between the calling thread and the GEMM workers,
 * over a control block at the start of the shared memory.
 *
 * A job is a set of tasks (blocks of C to compute, or panels to pack). The
 * caller first closes claiming (state = next generation << 32 | CLAIMS_CLOSED),
 * writes the job's parameters, then opens it (state = generation << 32 | 0).
 * Every thread claims a task with a compare-exchange of the state value it
 * read before reading the parameters: it only succeeds if the caller has not
 * closed claiming since, so parameters read under a stale state are never
 * used. Each finished task increments `tasksDone`; the caller returns when it
 * equals the task count. A thread that is slow to wake simply finds no task
 * left: the caller never waits for an idle worker, which matters on a machine
 * whose cores are shared with other work.
 */

/** Int32 indices into the control block (the state is BigInt64 index 0). */
export const CONTROL = {
  tasksDone: 2,
  quit: 3,
  workerTasks: 4,
  numTasks: 5,
  /** JOB_COMPUTE or JOB_PACK. */
  kind: 6,
  mBlocks: 7,
  mc: 8,
  nc: 9,
  kcMax: 10,
  k: 11,
  mPad: 12,
  nPad: 13,
  /** Byte addresses of packed A, packed B and the padded C (row stride nPad). */
  aPtr: 14,
  bPtr: 15,
  cPtr: 16,
  mr: 17,
  nr: 18,
  // Packing: per operand, the raw copy's address, whether the W values of a
  // k step are adjacent (else each lane runs along k), the byte stride of
  // the other direction, panels per task, tasks per k block, valid lanes of the last panel.
  aRaw: 19,
  aContig: 20,
  aStride: 21,
  aGroup: 22,
  aGroups: 23,
  aLastValid: 24,
  bRaw: 25,
  bContig: 26,
  bStride: 27,
  bGroup: 28,
  bGroups: 29,
  bLastValid: 30,
  /** Set when a task threw in a worker (the calling thread then reports it). */
  failed: 31,
} as const;

/** Task index of a state whose job is being written: nothing can be claimed. */
export const CLAIMS_CLOSED = 0xffffffffn;

export const JOB_COMPUTE = 0;
export const JOB_PACK = 1;

/** Bytes reserved for the control block at address 0. */
export const CONTROL_BYTES = 256;

/** The exports of the kernel module that tasks call (see kernel-module.ts). */
export interface TaskFunctions {
  block(
    aPtr: number,
    bPtr: number,
    cPtr: number,
    ldcBytes: number,
    mPanels: number,
    nPanels: number,
    kc: number,
    accumulate: number,
  ): void;
  pack_a_contig(src: number, ksBytes: number, dst: number, kc: number, panels: number): void;
  pack_a_strided(src: number, rsBytes: number, dst: number, kc: number, panels: number, lastValid: number): void;
  pack_b_contig(src: number, ksBytes: number, dst: number, kc: number, panels: number): void;
  pack_b_strided(src: number, rsBytes: number, dst: number, kc: number, panels: number, lastValid: number): void;
}

/**
 * Claim and run tasks of the current job until none is left. Returns the
 * state value at which no task was left (a worker then sleeps until it
 * changes). Self-contained on purpose: its source is also embedded in the
 * worker script, so it may only use its arguments and globals.
 *
 * A compute task is one mc x nc block of C over all k blocks. A pack task is
 * a group of panels of one k block of A or of B.
 */
export function runTasks(
  i32: Int32Array,
  i64: BigInt64Array,
  fns: TaskFunctions,
  L: typeof CONTROL,
  isWorker: boolean,
): bigint {
  for (;;) {
    const s = Atomics.load(i64, 0);
    // The closed index (2^32 - 1) exceeds any task count.
    const t = Number(s & 0xffffffffn);
    const numTasks = Atomics.load(i32, L.numTasks);
    if (t >= numTasks) return s;
    const p = Array.from(i32.subarray(0, 32));
    if (Atomics.compareExchange(i64, 0, s, s + 1n) !== s) continue;
    try {
      runTask(t, p, fns, L);
    } catch (err) {
      // Counted as finished all the same, so the caller stops waiting and reports it.
      if (isWorker) Atomics.store(i32, L.failed, 1);
      throw err;
    } finally {
      if (isWorker) Atomics.add(i32, L.workerTasks, 1);
      if (Atomics.add(i32, L.tasksDone, 1) + 1 === numTasks) Atomics.notify(i32, L.tasksDone);
    }
  }

  function runTask(t: number, p: number[], fns: TaskFunctions, L: typeof CONTROL): void {
    const kcMax = p[L.kcMax]!;
    const k = p[L.k]!;
    const mPad = p[L.mPad]!;
    const nPad = p[L.nPad]!;
    const mr = p[L.mr]!;
    const nr = p[L.nr]!;
    if (p[L.kind] === 0) {
      const mBlocks = p[L.mBlocks]!;
      const mc = p[L.mc]!;
      const nc = p[L.nc]!;
      const ib = t % mBlocks;
      const jb = (t - ib) / mBlocks;
      const r0 = ib * mc;
      const c0 = jb * nc;
      const mPanels = Math.min(mc, mPad - r0) / mr;
      const nPanels = Math.min(nc, nPad - c0) / nr;
      const cTile = p[L.cPtr]! + (r0 * nPad + c0) * 4;
      for (let k0 = 0; k0 < k; k0 += kcMax) {
        const kc = Math.min(kcMax, k - k0);
        fns.block(
          p[L.aPtr]! + (k0 * mPad + r0 * kc) * 4,
          p[L.bPtr]! + (k0 * nPad + c0 * kc) * 4,
          cTile,
          nPad * 4,
          mPanels,
          nPanels,
          kc,
          k0 > 0 ? 1 : 0,
        );
      }
    } else {
      const aTasks = Math.ceil(k / kcMax) * p[L.aGroups]!;
      const isA = t < aTasks;
      const u = isA ? t : t - aTasks;
      const groups = p[isA ? L.aGroups : L.bGroups]!;
      const group = p[isA ? L.aGroup : L.bGroup]!;
      const w = isA ? mr : nr;
      const panelsTotal = (isA ? mPad : nPad) / w;
      const g = u % groups;
      const k0 = ((u - g) / groups) * kcMax;
      const kc = Math.min(kcMax, k - k0);
      const p0 = g * group;
      const panels = Math.min(group, panelsTotal - p0);
      const dst = p[isA ? L.aPtr : L.bPtr]! + (k0 * panelsTotal * w + p0 * w * kc) * 4;
      const raw = p[isA ? L.aRaw : L.bRaw]!;
      const stride = p[isA ? L.aStride : L.bStride]!;
      if (p[isA ? L.aContig : L.bContig] === 1) {
        const src = raw + p0 * w * 4 + k0 * stride;
        if (isA) fns.pack_a_contig(src, stride, dst, kc, panels);
        else fns.pack_b_contig(src, stride, dst, kc, panels);
      } else {
        const src = raw + p0 * w * stride + k0 * 4;
        const lastValid = p0 + panels === panelsTotal ? p[isA ? L.aLastValid : L.bLastValid]! : w;
        if (isA) fns.pack_a_strided(src, stride, dst, kc, panels, lastValid);
        else fns.pack_b_strided(src, stride, dst, kc, panels, lastValid);
      }
    }
  }
}

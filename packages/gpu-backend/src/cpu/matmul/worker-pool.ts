/**
 * GEMM worker threads. The worker script is embedded (built from
 * `runTasks`'s own source), so it runs the same whether this package is
 * loaded from TypeScript sources or from dist, with no file to locate.
 * Workers are unref'd: they never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { CONTROL, runTasks } from './task-runner.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';

function workerSource(): string {
  return `'use strict';
const { workerData } = require('node:worker_threads');
const { memory, module, layout } = workerData;
const runTasks = ${runTasks.toString()};
const instance = new WebAssembly.Instance(module, { env: { memory } });
const i32 = new Int32Array(memory.buffer, 0, 64);
const i64 = new BigInt64Array(memory.buffer, 0, 32);
for (;;) {
  if (Atomics.load(i32, layout.quit) !== 0) break;
  const exhausted = runTasks(i32, i64, instance.exports, layout, true);
  Atomics.wait(i64, 0, exhausted);
}
`;
}

/** What the pool keeps of a worker; node's `Worker` type stays out of the declarations a browser consumer reads. */
export interface GemmWorker {
  terminate(): Promise<number>;
}

export interface WorkerGroup {
  workers: GemmWorker[];
  /** Resolves when every worker runs its script (or has failed to start). */
  online: Promise<void>;
  /** Errors of workers that died; the calling thread then does their share. */
  errors: Error[];
}

export function startWorkers(count: number, memory: WasmMemory, module: WasmModule): WorkerGroup {
  const source = workerSource();
  const errors: Error[] = [];
  const workers: Worker[] = [];
  const started: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(source, {
      eval: true,
      workerData: { memory, module, layout: CONTROL },
      name: `molrl-gemm-${i}`,
    });
    // Listeners go on at once so neither event can be missed. The worker is
    // unref'd once it runs: until then its start must keep the event loop alive
    // for anyone awaiting `online`.
    started.push(
      new Promise<void>((resolve) => {
        worker.once('online', () => {
          worker.unref();
          resolve();
        });
        worker.on('error', (err: Error) => {
          errors.push(err);
          worker.unref();
          resolve();
        });
      }),
    );
    workers.push(worker);
  }
  return { workers, online: Promise.all(started).then(() => undefined), errors };
}

import type { RunAttrs, KernelName } from './contract/kernel-types.js';
import type { DType } from './dtype.js';

/**
 * An opaque handle to device memory owned by one backend. The tensor layer
 * never looks inside; only the backend that allocated it may interpret it.
 * `size` is in elements, `dtype` is the storage type.
 */
export interface Storage {
  readonly backend: string;
  readonly size: number;
  readonly dtype: DType;
}

/** A view a kernel sees: storage plus a logical row-major shape. */
export interface TensorInfo {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface MemoryInfo {
  /** Bytes currently allocated through this backend (live storages). */
  bytesInUse: number;
  /** Number of live storages. */
  storages: number;
  /** High-water mark of bytesInUse since creation or the last resetPeak(). */
  peakBytes: number;
  /** Backend-specific extras (e.g. pooled-but-free bytes on a GPU). */
  [extra: string]: number;
}

/** The attrs of some kernel, for code that handles kernels generically (`AttrsOf<'matmul'>` is one kernel's). */
export type KernelAttrs = Readonly<Record<string, unknown>>;

export interface KernelArgs<A = KernelAttrs> {
  inputs: readonly TensorInfo[];
  attrs: A;
  backend: Backend;
}

/** What a kernel returns: its output, its outputs, or nothing (a kernel that works in place). */
export type KernelResult = TensorInfo | TensorInfo[] | void;

/**
 * A kernel enqueues work and returns its outputs' infos at once: on an
 * asynchronous device the data arrives later, only `Backend.read` waits.
 * Kernels never mutate their inputs unless the kernel's contract says so
 * (`adamw` updates its parameter and moment storages in place).
 */
export type KernelFunc<A = KernelAttrs> = (args: KernelArgs<A>) => KernelResult;

export interface BackendOptions {
  [option: string]: unknown;
}

/**
 * The backend contract: storage, transfer, kernels by name, memory accounting.
 * Designed for devices whose results arrive asynchronously: everything that
 * returns data to the host returns a Promise; everything else only enqueues.
 *
 * Ordering rules every backend keeps (what makes an asynchronous device safe
 * to drive from synchronous tensor code):
 * - `run` checks the call against the kernel's contract (input count, int32
 *   inputs, attrs), validates shapes synchronously and throws there, naming
 *   the kernel; errors that depend on data (an index out of range) are only
 *   guaranteed to be reported by backends that can see the data (the CPU).
 * - Work runs in enqueue order: a `read` (or `readRaw`) observes every kernel and
 *   upload enqueued before it, without a `sync` first.
 * - `release` may be called as soon as the last kernel that uses a storage has been
 *   enqueued; a backend defers the actual reuse of its memory until that work is done.
 * - A kernel releases every temporary it allocates: after releasing its outputs,
 *   `memory().storages` is back where it was (the conformance suite checks this).
 * - A failure the device reports later (a validation error, out of memory, a lost
 *   device) rejects the next `read`, `readRaw` or `sync`, with a message naming the
 *   kernel that caused it where the device says so.
 */
export interface Backend {
  readonly name: string;
  /** Resolves when the device is ready (adapter/device requested, workers spawned...). */
  ready(): Promise<void>;

  /** Allocate `size` zero-initialised elements of `dtype`. */
  alloc(size: number, dtype: DType): Storage;
  /**
   * Allocate and fill from host data. float32 data may be stored as
   * float16/bfloat16 (converted, round-to-nearest-even); int32 data is stored as int32.
   */
  upload(data: Float32Array | Int32Array | Uint16Array, dtype: DType): Storage;
  /** Host data of a storage, widened to Float32Array (float dtypes) or Int32Array (int32). */
  read(storage: Storage): Promise<Float32Array | Int32Array>;
  /**
   * The storage's first `target.length` elements, widened, written into
   * `target` (a Float32Array for float storages, an Int32Array for int32) with
   * no array of the backend's own between: a buffer reused step after step, or
   * shared memory that worker threads read. Optional: a caller without it
   * copies what `read` returns.
   */
  readInto?(storage: Storage, target: Float32Array | Int32Array): Promise<void>;
  /** Synchronous read, only where the device allows it (the CPU backend). */
  readSync?(storage: Storage): Float32Array | Int32Array;
  /** Raw storage bits for f16/bf16 (Uint16Array) without widening, for checkpoint writers. */
  readRaw(storage: Storage): Promise<Float32Array | Int32Array | Uint16Array>;
  /** Release device memory. Releasing twice is an error. */
  release(storage: Storage): void;

  /**
   * Enqueue the kernel registered under `name` for this backend. The attrs are
   * typed per kernel (`AttrsOf<N>`): a misspelled or mistyped attribute does
   * not compile, and is refused at run time for callers TypeScript cannot see.
   */
  run<N extends KernelName>(name: N, inputs: readonly TensorInfo[], ...attrs: RunAttrs<N>): TensorInfo[];

  /** Resolves when all enqueued work has completed. */
  sync(): Promise<void>;
  /**
   * Submit the work enqueued so far to the device now, without waiting for it
   * (e.g. at the end of a training step, so the device is busy while the host
   * prepares the next). Optional: `read` and `sync` submit on their own.
   */
  flush?(): void;

  memory(): MemoryInfo;
  resetPeak(): void;

  /**
   * Guard regions, for the conformance suite: from now on every new storage is
   * surrounded by `elements` guard elements holding a sentinel bit pattern
   * (0 turns it off). A kernel that writes past its storage overwrites them.
   */
  setGuards?(elements: number): void;
  /** For each storage, what happened to its guard elements: null when intact, else a description of what was overwritten. */
  checkGuards?(storages: readonly Storage[]): Promise<(string | null)[]>;

  /** Free everything; the backend is unusable afterwards. */
  dispose(): Promise<void> | void;
}

export type BackendFactory = (options?: BackendOptions) => Promise<Backend> | Backend;

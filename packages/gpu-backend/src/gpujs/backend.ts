import { checkReadTarget, widenInto } from '../read-into.js';
import type { Backend, MemoryInfo, Storage, TensorInfo } from '../backend.js';
import type { KernelName, RunAttrs } from '../contract/kernel-types.js';
import { bytesPerElement, DTYPES, type DType } from '../dtype.js';
import {
  bfloat16ArrayToFloat32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
} from '../dtype-convert.js';
import { backendError, kernelError } from '../errors.js';
import { guardDamage } from '../guards.js';
import { allocHostArray } from '../host-array.js';
import { prepareRun } from '../registry.js';
import { CompiledKernels, type DeviceKernel } from './device-kernel.js';
import type { GpujsGPU, GpujsMode, GpujsResult } from './modes.js';
import { GpujsStorage, type HostArray } from './storage.js';

/**
 * The gpujs backend: the kernel set on gpu.js, in one of its modes.
 *
 * Execution model. Kernels enqueue work and return their outputs at once, as
 * the contract asks. Every unit of work (a gpu.js launch or a host step) runs
 * in submission order: while nothing is in flight a synchronous unit runs
 * immediately (the cpu and webasm modes never leave anything in flight, so
 * they run eagerly and errors surface at the call), and once an asynchronous
 * unit is in flight (every webgpu launch resolves after its readback) later
 * units chain behind it. A failed asynchronous unit poisons the backend:
 * later runs, reads and sync() report it.
 */
export class GpujsBackend implements Backend {
  readonly name = 'gpujs';
  /** The gpu.js kernel class actually used (e.g. 'webasm' when `gpu` resolved to it). */
  readonly resolvedMode: string;
  /** Synchronous read; present only in modes whose kernels complete synchronously. */
  readonly readSync?: (storage: Storage) => Float32Array | Int32Array;

  private readonly kernels: CompiledKernels;
  private pending: Promise<void> | null = null;
  private failure: Error | null = null;
  private bytesInUse = 0;
  private peakBytes = 0;
  private liveStorages = 0;
  private launches = 0;
  /** The contract kernel now running (for error messages). */
  private running = '';
  /** Storages created by the kernel now running, released if it throws. */
  private allocations: GpujsStorage[] | null = null;
  private disposed = false;
  /** Guard elements around every new storage's data (see setGuards). */
  private guard = 0;

  constructor(
    readonly mode: GpujsMode,
    gpu: GpujsGPU,
    kernels?: CompiledKernels,
    /** webasm on gpu.js's worker pool: launches resolve asynchronously. */
    readonly threads = false,
  ) {
    this.resolvedMode = gpu.Kernel.mode;
    this.kernels = kernels ?? new CompiledKernels(gpu, threads);
    if (this.resolvedMode !== 'webgpu' && !threads) {
      this.readSync = (storage) => {
        this.checkUsable();
        if (this.pending) throw backendError('gpujs', 'readSync', 'work is still in flight; use await read()');
        return this.widen(this.own(storage, 'readSync'));
      };
    }
  }

  async ready(): Promise<void> {
    this.checkUsable();
  }

  alloc(size: number, dtype: DType): Storage {
    this.checkUsable();
    checkSize(size, 'alloc');
    checkDType(dtype, 'alloc');
    return this.track(new GpujsStorage(size, dtype, allocHostArray(size, dtype)));
  }

  upload(data: Float32Array | Int32Array | Uint16Array, dtype: DType): Storage {
    this.checkUsable();
    checkDType(dtype, 'upload');
    let host: HostArray;
    if (dtype === 'float16' || dtype === 'bfloat16') {
      host = data instanceof Uint16Array ? data.slice() : narrowToHalf(data, dtype);
    } else if (data instanceof Uint16Array) {
      throw backendError(
        'gpujs',
        'upload',
        `a Uint16Array holds raw float16/bfloat16 bits and cannot be uploaded as ${dtype}`,
      );
    } else if (dtype === 'int32') {
      host = data instanceof Int32Array ? data.slice() : Int32Array.from(data, Math.trunc);
    } else {
      host = Float32Array.from(data);
    }
    return this.track(new GpujsStorage(host.length, dtype, host));
  }

  async read(storage: Storage): Promise<Float32Array | Int32Array> {
    const own = this.own(storage, 'read');
    await this.settle();
    this.checkAlive(own, 'read');
    return this.widen(own);
  }

  async readInto(storage: Storage, target: Float32Array | Int32Array): Promise<void> {
    const own = this.own(storage, 'readInto');
    checkReadTarget(own.dtype, own.size, target, 'gpujs.readInto');
    await this.settle();
    this.checkAlive(own, 'readInto');
    widenInto(own.data, own.dtype, target);
  }

  async readRaw(storage: Storage): Promise<Float32Array | Int32Array | Uint16Array> {
    const own = this.own(storage, 'readRaw');
    await this.settle();
    this.checkAlive(own, 'readRaw');
    return own.data.slice();
  }

  release(storage: Storage): void {
    const own = this.own(storage, 'release');
    own.released = true;
    this.bytesInUse -= own.size * bytesPerElement(own.dtype);
    this.liveStorages -= 1;
    // work already queued may still read the array; dropping our reference is all a host array needs
  }

  run<N extends KernelName>(name: N, inputs: readonly TensorInfo[], ...attrs: RunAttrs<N>): TensorInfo[] {
    this.checkUsable();
    if (this.failure) throw this.poisoned();
    const prepared = prepareRun(this.name, name, inputs, attrs[0]);
    for (let i = 0; i < inputs.length; i++) {
      const storage = this.own(inputs[i].storage, `${name}: input ${i}`);
      this.checkAlive(storage, `${name}: input ${i}`);
      this.checkAddressable(name, `input ${i}`, storage.size);
    }
    this.running = name;
    const allocated: GpujsStorage[] = [];
    this.allocations = allocated;
    try {
      const result = prepared.kernel({ inputs, attrs: prepared.attrs, backend: this });
      if (result === undefined) return [];
      return Array.isArray(result) ? result : [result as TensorInfo];
    } catch (error) {
      // a kernel that rejects its input synchronously leaves nothing allocated
      for (const storage of allocated) if (!storage.released) this.release(storage);
      throw error;
    } finally {
      this.allocations = null;
      this.running = '';
    }
  }

  async sync(): Promise<void> {
    await this.settle();
  }

  memory(): MemoryInfo {
    return {
      bytesInUse: this.bytesInUse,
      storages: this.liveStorages,
      peakBytes: this.peakBytes,
      compiledKernels: this.kernels.size,
      launches: this.launches,
    };
  }

  resetPeak(): void {
    this.peakBytes = this.bytesInUse;
  }

  /**
   * Guard regions (see Backend.setGuards). gpu.js returns arrays of exactly
   * the output size, so what can go wrong here is host code: a kernel that
   * stores more (or fewer) elements than its output holds, or writes
   * through an array's buffer past its end.
   */
  setGuards(elements: number): void {
    if (!Number.isInteger(elements) || elements < 0)
      throw backendError('gpujs', 'setGuards', `elements must be a non-negative integer, got ${elements}`);
    this.guard = elements;
  }

  async checkGuards(storages: readonly Storage[]): Promise<(string | null)[]> {
    const own = storages.map((s) => this.own(s, 'checkGuards'));
    await this.settle();
    return own.map((s) => {
      if (s.guard === 0) return null;
      const problems: string[] = [];
      if (s.stored !== s.size)
        problems.push(`a kernel stored ${s.stored} elements into a storage of ${s.size} (it wrote past the end)`);
      const [before, after] = s.guardRegions();
      for (const damage of [guardDamage(before, 'before the data'), guardDamage(after, 'after the data')]) {
        if (damage) problems.push(damage);
      }
      return problems.length ? problems.join('; ') : null;
    });
  }

  /** Waits for queued work and drops this backend's storages; compiled kernels stay shared by the mode's backends. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.settle().catch(() => undefined);
    this.disposed = true;
    this.bytesInUse = 0;
    this.liveStorages = 0;
  }

  // ---- for kernels -------------------------------------------------------

  /**
   * A new storage for a kernel's output. Its array is set by the work the
   * kernel enqueues (a launch stores gpu.js's result array; host work assigns
   * a new array), so none is allocated here.
   */
  output(shape: readonly number[], dtype: DType = 'float32'): TensorInfo {
    const size = shape.reduce((a, b) => a * b, 1);
    const storage = this.track(new GpujsStorage(size, dtype, allocHostArray(0, dtype)));
    this.allocations?.push(storage);
    return { storage, shape: [...shape], dtype };
  }

  /** The storage behind an info, checked to belong to this backend. */
  storageOf(info: TensorInfo): GpujsStorage {
    // no released check: work enqueued before a release still reads what it was given
    if (!(info.storage instanceof GpujsStorage)) {
      throw backendError('gpujs', 'run', `a kernel input belongs to backend '${info.storage?.backend}', not gpujs`);
    }
    return info.storage;
  }

  /** float32 contents of an input, widening half storages and converting int32. Call inside enqueued work. */
  floats(info: TensorInfo): Float32Array {
    const s = this.storageOf(info);
    if (s.data instanceof Float32Array) return s.data;
    if (s.data instanceof Int32Array) return Float32Array.from(s.data);
    return widenHalf(s.data, s.dtype as 'float16' | 'bfloat16');
  }

  /** int32 contents of an index input. Call inside enqueued work. */
  ints(info: TensorInfo): Int32Array {
    const s = this.storageOf(info);
    if (s.data instanceof Int32Array) return s.data;
    if (s.data instanceof Float32Array) return Int32Array.from(s.data, Math.trunc);
    return Int32Array.from(widenHalf(s.data, s.dtype as 'float16' | 'bfloat16'), Math.trunc);
  }

  /** Store float32 values computed for `out`, narrowing to its dtype. */
  store(out: TensorInfo, values: Float32Array | Int32Array): void {
    const s = this.storageOf(out);
    if (s.dtype === 'float32') s.data = values instanceof Float32Array ? values : Float32Array.from(values);
    else if (s.dtype === 'int32') s.data = values instanceof Int32Array ? values : Int32Array.from(values, Math.trunc);
    else s.data = narrowToHalf(values, s.dtype as 'float16' | 'bfloat16');
  }

  /**
   * Enqueue one gpu.js launch of `kernel` over `out`'s elements. `args` is
   * evaluated when the launch runs, after all earlier work, so it may read
   * inputs produced by earlier kernels.
   */
  launch(
    kernel: DeviceKernel,
    out: TensorInfo,
    args: () => unknown[],
    finish?: (values: Float32Array) => Float32Array | Int32Array,
  ): void {
    const size = this.storageOf(out).size;
    this.checkAddressable(this.running || kernel.name, `a ${kernel.name} result`, size);
    if (size % kernel.components !== 0) {
      throw kernelError(
        this.running || kernel.name,
        `the gpu.js kernel '${kernel.name}' computes ${kernel.components} elements per thread; ${size} outputs do not divide`,
      );
    }
    this.enqueue(() => {
      if (size === 0) return;
      const runner = this.kernels.get(kernel);
      runner.setOutput([size / kernel.components]);
      this.launches += 1;
      // gpu.js rejects empty arrays; an empty input is never read when the output is not empty
      const result = runner(
        ...args().map((a) => (ArrayBuffer.isView(a) && (a as Float32Array).length === 0 ? EMPTY_ARGUMENT : a)),
      );
      const done = (result: GpujsResult) => {
        const values = flatten(result, size);
        if (values.length !== size)
          throw kernelError(
            this.running || kernel.name,
            `the gpu.js kernel '${kernel.name}' returned ${values.length} values for ${size} outputs`,
          );
        this.store(out, finish ? finish(values) : values);
      };
      return isPromise(result) ? result.then(done) : done(result);
    });
  }

  /** Enqueue host work (data movement, index bookkeeping, the kernels gpu.js cannot express). */
  host(work: () => void): void {
    this.enqueue(work);
  }

  // ---- internals ---------------------------------------------------------

  private enqueue(work: () => void | Promise<void>): void {
    if (this.failure) throw this.poisoned();
    if (this.pending === null) {
      const result = work();
      if (isPromise(result)) this.chain(result);
    } else {
      this.chain(this.pending.then(work));
    }
  }

  private chain(work: Promise<void>): void {
    const tracked: Promise<void> = work.then(
      () => {
        if (this.pending === tracked) this.pending = null;
      },
      (error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
        if (this.pending === tracked) this.pending = null;
      },
    );
    this.pending = tracked;
  }

  private async settle(): Promise<void> {
    while (this.pending) await this.pending;
    if (this.failure) throw this.poisoned();
  }

  private poisoned(): Error {
    const error = new Error(`gpujs (${this.resolvedMode}): an earlier kernel failed: ${this.failure?.message}`);
    (error as Error & { cause?: unknown }).cause = this.failure;
    return error;
  }

  private widen(storage: GpujsStorage): Float32Array | Int32Array {
    const { data } = storage;
    if (data instanceof Uint16Array) return widenHalf(data, storage.dtype as 'float16' | 'bfloat16');
    return data.slice();
  }

  private track(storage: GpujsStorage): GpujsStorage {
    if (this.guard > 0) storage.guardWith(this.guard);
    this.bytesInUse += storage.size * bytesPerElement(storage.dtype);
    this.peakBytes = Math.max(this.peakBytes, this.bytesInUse);
    this.liveStorages += 1;
    return storage;
  }

  private own(storage: Storage, where: string): GpujsStorage {
    if (!(storage instanceof GpujsStorage)) {
      throw backendError('gpujs', where, `the storage belongs to backend '${storage?.backend}', not gpujs`);
    }
    if (storage.released) throw backendError('gpujs', where, 'the storage was already released');
    return storage;
  }

  private checkAlive(storage: GpujsStorage, where: string): void {
    if (storage.released) throw backendError('gpujs', where, 'the storage was released');
  }

  /**
   * gpu.js's webasm, webgpu and GL kernels do index arithmetic in f32 (its
   * WebAssembly computes Integer values in f32, and its WGSL declares every
   * integer-valued variable as f32), which addresses elements exactly only
   * below 2^24. The cpu mode runs JavaScript numbers and has no such limit.
   */
  private checkAddressable(kernel: string, what: string, size: number): void {
    if (this.resolvedMode === 'cpu' || size <= EXACT_INDEX_LIMIT) return;
    throw new Error(
      `${kernel}: ${what} has ${size} elements; gpu.js's ${this.resolvedMode} kernels index in f32, exact only up to 2^24 (${EXACT_INDEX_LIMIT}) elements per tensor (use the gpujs 'cpu' mode or another backend)`,
    );
  }

  private checkUsable(): void {
    if (this.disposed) throw new Error("backend 'gpujs' was disposed");
  }
}

const EMPTY_ARGUMENT = new Float32Array(1);

/** Elements an f32 index addresses exactly. */
export const EXACT_INDEX_LIMIT = 2 ** 24;

function widenHalf(bits: Uint16Array, dtype: 'float16' | 'bfloat16'): Float32Array {
  return dtype === 'float16' ? float16ArrayToFloat32(bits) : bfloat16ArrayToFloat32(bits);
}

function narrowToHalf(values: Float32Array | Int32Array, dtype: 'float16' | 'bfloat16'): Uint16Array {
  const f32 = values instanceof Float32Array ? values : Float32Array.from(values);
  return dtype === 'float16' ? float32ArrayToFloat16(f32) : float32ArrayToBfloat16(f32);
}

/** A kernel's values as one Float32Array: Array(4) results come back as one small array per thread. */
function flatten(result: GpujsResult, size: number): Float32Array {
  if (!Array.isArray(result)) return result;
  const first = result[0];
  const last = result[result.length - 1];
  // webgpu returns views into one buffer: reuse it when the views tile it in order
  if (first && last && first.buffer === last.buffer && last.byteOffset - first.byteOffset === (size - 4) * 4) {
    return new Float32Array(first.buffer, first.byteOffset, size);
  }
  const values = new Float32Array(size);
  for (let i = 0; i < result.length; i++) values.set(result[i], i * 4);
  return values;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T>)?.then === 'function';
}

function checkSize(size: number, where: string): void {
  if (!Number.isInteger(size) || size < 0)
    throw backendError('gpujs', where, `size must be a non-negative integer, got ${size}`);
}

function checkDType(dtype: DType, where: string): void {
  if (!DTYPES.includes(dtype))
    throw backendError('gpujs', where, `unknown dtype '${String(dtype)}' (expected ${DTYPES.join(', ')})`);
}

import { checkReadTarget, widenInto } from '../read-into.js';
import type { Backend, MemoryInfo, Storage, TensorInfo } from '../backend.js';
import type { KernelName, RunAttrs } from '../contract/kernel-types.js';
import { DTYPES, bytesPerElement, type DType } from '../dtype.js';
import {
  bfloat16ArrayToFloat32,
  floatToInt32,
  float16ArrayToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
} from '../dtype-convert.js';
import { backendError } from '../errors.js';
import { fillGuard, guardDamage } from '../guards.js';
import { prepareRun } from '../registry.js';
import { initGemm, withGemmImplementation, type GemmChoice } from './matmul/gemm.js';
import { registerCpuKernels } from './register.js';
import { fmt, sizeOf } from '../shape.js';
import { allocHostArray, CpuStorage, type HostArray } from './storage.js';
import { MAX_SLACK, StoragePool } from './storage-pool.js';
import { checkBackendOptionKeys } from '../backend-options.js';

/** The options the cpu backend reads; it refuses any other. */
export const CPU_BACKEND_OPTION_NAMES: readonly string[] = ['profile', 'poolBytes', 'poolSlack', 'gemm'];

export interface CpuBackendOptions {
  /** Record calls and wall time per kernel (read with `kernelProfile()`). */
  profile?: boolean;
  /**
   * Bytes of released storages' host arrays kept for reuse by later
   * allocations of the same dtype and size (default 256 MiB; 0 turns reuse off).
   */
  poolBytes?: number;
  /**
   * How much longer than a request a pooled array may be to serve it, as a
   * fraction of the request (default 1: up to twice its length; 0 reuses only
   * exact lengths). More reuse costs at most the served array's unused tail.
   */
  poolSlack?: number;
  /**
   * The GEMM of this backend's kernels: 'native' (@molrl/cpu-native; creating the
   * backend fails where it is not available), 'wasm', or 'auto' (native where it
   * loads). Default: the process-wide choice (`configureGemm`, MOLRL_GEMM).
   */
  gemm?: GemmChoice;
  [option: string]: unknown;
}

/** Calls and total milliseconds of one kernel, when profiling. */
export interface KernelProfile {
  calls: number;
  ms: number;
}

const DEFAULT_POOL_BYTES = 256 * 2 ** 20;

/**
 * The reference backend: storages are typed arrays in this process, kernels
 * run synchronously inside `run`, so `sync` resolves at once and `readSync`
 * is available.
 */
/** Set in this repository's tests: outputs allocated unzeroed are filled with NaN (see `alloc`). */
const POISON_OUTPUTS =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.MOLRL_POISON_OUTPUTS === '1';

export class CpuBackend implements Backend {
  readonly name: string = 'cpu';
  private nextId = 1;
  private bytesInUse = 0;
  private liveStorages = 0;
  private peakBytes = 0;
  private disposed = false;
  private readonly live = new Set<CpuStorage>();
  private readonly profiling: boolean;
  private readonly profile = new Map<string, KernelProfile>();
  private readonly pool: StoragePool;
  /** Storages whose host array this backend allocated (so it may be reused once released). */
  private readonly owned = new WeakSet<CpuStorage>();
  /** Guard elements around every new storage (see setGuards), and the guarded storages. */
  private guard = 0;
  private readonly guarded = new WeakMap<CpuStorage, number>();
  private readonly gemmChoice: GemmChoice | undefined;

  constructor(options: CpuBackendOptions = {}) {
    checkBackendOptionKeys('cpu', options, CPU_BACKEND_OPTION_NAMES);
    if (options.profile !== undefined && typeof options.profile !== 'boolean')
      throw new Error(`cpu backend: options.profile must be a boolean, got ${String(options.profile)}`);
    this.profiling = options.profile === true;
    const poolBytes = options.poolBytes ?? DEFAULT_POOL_BYTES;
    if (typeof poolBytes !== 'number' || !(poolBytes >= 0))
      throw new Error(`cpu backend: options.poolBytes must be a number >= 0, got ${String(poolBytes)}`);
    const poolSlack = options.poolSlack ?? MAX_SLACK;
    if (typeof poolSlack !== 'number' || !(poolSlack >= 0) || !Number.isFinite(poolSlack))
      throw new Error(`cpu backend: options.poolSlack must be a finite number >= 0, got ${String(poolSlack)}`);
    this.pool = new StoragePool(poolBytes, poolSlack);
    const gemm = options.gemm;
    if (gemm !== undefined && gemm !== 'auto' && gemm !== 'native' && gemm !== 'wasm')
      throw new Error(`cpu backend: options.gemm must be 'auto', 'native' or 'wasm', got ${String(gemm)}`);
    this.gemmChoice = gemm;
  }

  async ready(): Promise<void> {
    registerCpuKernels();
    // The fast GEMM may need to compile WebAssembly or start workers first.
    await initGemm(this.gemmChoice);
  }

  /**
   * A storage of `size` elements, zeroed. With `{ zeroed: false }` (an output its kernel
   * writes in full) a reused array keeps whatever it held; where MOLRL_POISON_OUTPUTS=1
   * (this repository's tests) such a storage is filled with NaN instead, so a kernel that
   * leaves part of its output unwritten fails its tests rather than reading stale values.
   */
  alloc(size: number, dtype: DType, options?: { zeroed?: boolean }): CpuStorage {
    const storage = this.allocStorage(size, dtype, options?.zeroed !== false);
    if (options?.zeroed === false && POISON_OUTPUTS) storage.data!.fill(dtype === 'int32' ? -0x80000000 : NaN);
    return storage;
  }

  private allocStorage(size: number, dtype: DType, zeroed: boolean): CpuStorage {
    this.assertUsable();
    if (!Number.isInteger(size) || size < 0)
      throw backendError(this.name, 'alloc', `size must be a non-negative integer, got ${size}`);
    if (!DTYPES.includes(dtype))
      throw backendError(this.name, 'alloc', `unknown dtype '${String(dtype)}' (expected ${DTYPES.join(', ')})`);
    if (this.guard === 0) {
      const storage = this.adopt(this.pool.take(size, dtype, zeroed), dtype);
      this.owned.add(storage);
      return storage;
    }
    // The data is a view into a larger buffer whose first and last `guard` elements hold the sentinel
    // (never pooled: the pool hands out whole arrays).
    const whole = allocHostArray(size + 2 * this.guard, dtype);
    const storage = this.adopt(whole.subarray(this.guard, this.guard + size), dtype);
    const bits = guardBits(whole);
    fillGuard(bits.subarray(0, this.guard));
    fillGuard(bits.subarray(this.guard + size));
    this.guarded.set(storage, this.guard);
    return storage;
  }

  upload(data: Float32Array | Int32Array | Uint16Array, dtype: DType): CpuStorage {
    this.assertUsable();
    const half = dtype === 'float16' || dtype === 'bfloat16';
    if (data instanceof Uint16Array && !half) {
      throw backendError(
        this.name,
        'upload',
        `a Uint16Array holds raw float16/bfloat16 bits and cannot be uploaded as ${dtype}`,
      );
    }
    const storage = this.alloc(data.length, dtype);
    const dst = storage.data!;
    if (half) {
      if (data instanceof Uint16Array) dst.set(data);
      else {
        const src = data instanceof Float32Array ? data : Float32Array.from(data);
        if (dtype === 'float16') float32ArrayToFloat16(src, dst as Uint16Array);
        else float32ArrayToBfloat16(src, dst as Uint16Array);
      }
    } else if (dtype === 'int32' && data instanceof Float32Array) {
      const out = dst as Int32Array;
      for (let i = 0; i < data.length; i++) out[i] = floatToInt32(data[i]);
    } else {
      dst.set(data);
    }
    return storage;
  }

  /** The live host array of a storage (no copy). Kernels use this. */
  dataOf(storage: Storage, context = 'storage'): HostArray {
    if (!(storage instanceof CpuStorage) || storage.backend !== this.name) {
      throw new Error(`${context}: a storage of backend '${storage?.backend}' was passed to backend '${this.name}'`);
    }
    if (storage.data === null) throw new Error(`${context}: ${storage.describe()} was used after release`);
    return storage.data;
  }

  readSync(storage: Storage): Float32Array | Int32Array {
    const data = this.dataOf(storage, `${this.name}.read`);
    switch (storage.dtype) {
      case 'float16':
        return float16ArrayToFloat32(data as Uint16Array);
      case 'bfloat16':
        return bfloat16ArrayToFloat32(data as Uint16Array);
      case 'int32':
        return (data as Int32Array).slice();
      default:
        return (data as Float32Array).slice();
    }
  }

  async read(storage: Storage): Promise<Float32Array | Int32Array> {
    return this.readSync(storage);
  }

  async readInto(storage: Storage, target: Float32Array | Int32Array): Promise<void> {
    const data = this.dataOf(storage, `${this.name}.readInto`);
    checkReadTarget(storage.dtype, storage.size, target, `${this.name}.readInto`);
    widenInto(data, storage.dtype, target);
  }

  async readRaw(storage: Storage): Promise<Float32Array | Int32Array | Uint16Array> {
    return this.dataOf(storage, `${this.name}.readRaw`).slice();
  }

  release(storage: Storage): void {
    if (!(storage instanceof CpuStorage) || storage.backend !== this.name) {
      throw new Error(
        `${this.name}.release: a storage of backend '${storage?.backend}' was passed to backend '${this.name}'`,
      );
    }
    if (storage.data === null) throw new Error(`${this.name}.release: ${storage.describe()} was already released`);
    if (this.owned.has(storage)) this.pool.give(storage.data, storage.dtype);
    storage.data = null;
    this.live.delete(storage);
    this.bytesInUse -= storage.size * bytesPerElement(storage.dtype);
    this.liveStorages--;
  }

  run<N extends KernelName>(name: N, inputs: readonly TensorInfo[], ...attrs: RunAttrs<N>): TensorInfo[] {
    this.assertUsable();
    const { kernel, attrs: checked } = prepareRun(this.name, name, inputs, attrs[0]);
    for (let i = 0; i < inputs.length; i++) {
      const info = inputs[i];
      const data = this.dataOf(info.storage, `${name}: input ${i}`);
      if (sizeOf(info.shape) !== data.length) {
        throw new Error(
          `${name}: input ${i} has shape ${fmt(info.shape)} (${sizeOf(info.shape)} elements) but its storage holds ${data.length}`,
        );
      }
    }
    const started = this.profiling ? performance.now() : 0;
    const result = this.gemmChoice
      ? withGemmImplementation(this.gemmChoice, () => kernel({ inputs, attrs: checked, backend: this }))
      : kernel({ inputs, attrs: checked, backend: this });
    if (this.profiling) {
      const entry = this.profile.get(name) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - started;
      this.profile.set(name, entry);
    }
    if (result === undefined) return [];
    return Array.isArray(result) ? result : [result];
  }

  async sync(): Promise<void> {}

  /** Per-kernel calls and time since creation or `resetKernelProfile()`, slowest first (empty unless created with `profile: true`). */
  kernelProfile(): { kernel: string; calls: number; ms: number }[] {
    return [...this.profile.entries()].map(([kernel, p]) => ({ kernel, ...p })).sort((a, b) => b.ms - a.ms);
  }

  resetKernelProfile(): void {
    this.profile.clear();
  }

  memory(): MemoryInfo {
    return {
      bytesInUse: this.bytesInUse,
      storages: this.liveStorages,
      peakBytes: this.peakBytes,
      pooledBytes: this.pool.bytes,
      // Host bytes allocated new since creation, not served from the pool (guarded storages aside).
      freshBytes: this.pool.freshBytes,
    };
  }

  /**
   * Guard regions (see Backend.setGuards). JavaScript drops a write past the
   * end of a typed array, so what the guards catch on this backend is a write
   * through the storage's underlying buffer (a view made from
   * `data.buffer`, WebAssembly copying into it).
   */
  setGuards(elements: number): void {
    if (!Number.isInteger(elements) || elements < 0)
      throw backendError(this.name, 'setGuards', `elements must be a non-negative integer, got ${elements}`);
    this.guard = elements;
  }

  async checkGuards(storages: readonly Storage[]): Promise<(string | null)[]> {
    return storages.map((storage) => {
      const data = this.dataOf(storage, `${this.name}.checkGuards`);
      const guard = this.guarded.get(storage as CpuStorage) ?? 0;
      if (guard === 0) return null;
      const bits = guardBits(data);
      const start = bits.byteOffset / bits.BYTES_PER_ELEMENT;
      const whole =
        bits instanceof Uint16Array
          ? new Uint16Array(bits.buffer, 0, start + data.length + guard)
          : new Uint32Array(bits.buffer, 0, start + data.length + guard);
      const problems = [
        guardDamage(whole.subarray(start - guard, start), 'before the data'),
        guardDamage(whole.subarray(start + data.length), 'after the data'),
      ].filter((p): p is string => p !== null);
      return problems.length ? problems.join('; ') : null;
    });
  }

  resetPeak(): void {
    this.peakBytes = this.bytesInUse;
  }

  dispose(): void {
    for (const s of this.live) s.data = null;
    this.live.clear();
    this.pool.clear();
    this.bytesInUse = 0;
    this.liveStorages = 0;
    this.disposed = true;
  }

  /** Wrap an existing host array as a storage of this backend (kernels allocate their outputs through it). */
  adopt(data: HostArray, dtype: DType): CpuStorage {
    this.assertUsable();
    const storage = new CpuStorage(this.name, this.nextId++, dtype, data);
    this.live.add(storage);
    this.bytesInUse += data.length * bytesPerElement(dtype);
    this.liveStorages++;
    if (this.bytesInUse > this.peakBytes) this.peakBytes = this.bytesInUse;
    return storage;
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error(`backend '${this.name}' was disposed`);
  }
}

/** The raw bits of a host array: what the guard sentinels are written and read in. */
function guardBits(data: HostArray): Uint32Array | Uint16Array {
  return data instanceof Uint16Array ? data : new Uint32Array(data.buffer, data.byteOffset, data.length);
}

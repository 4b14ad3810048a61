import type { Backend, BackendOptions, KernelAttrs, MemoryInfo, Storage, TensorInfo } from '../backend.js';
import { bytesPerElement, DTYPES, type DType } from '../dtype.js';
import { getKernel } from '../registry.js';
import { BufferPool, BufferUsage } from './buffer-pool.js';
import { acquireDevice, type DeviceOptions } from './device.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../dtype-convert.js';
import { paramsStruct, WGSL_HELPERS, writeParams, type Dispatch } from './program.js';
import { asWebgpuStorage, WebgpuStorage } from './storage.js';

export interface WebgpuBackendOptions extends BackendOptions, DeviceOptions {
  /** Dispatches recorded before a submission is forced (default 128). */
  maxDispatchesPerSubmit?: number;
  /** Cap on pooled-but-free buffer bytes (default 1 GiB). */
  maxPooledBytes?: number;
}

const UNIFORM_SLOT = 256;

/** Fault codes kernels raise through the shared fault word (see `faultBinding`). */
export const FAULTS: Record<number, string> = {
  1: "kernel 'gatherRows': an index is out of range [0, rows)",
  2: "kernel 'scatterAddRows': an index is out of range [0, numRows)",
  3: "kernel 'takeAlongAxis': an index is out of range [0, V)",
  4: "kernel 'putAlongAxis': an index is out of range [0, size)",
  5: "kernel 'crossEntropy': a target is out of range [0, V) and not the ignore index",
};

/**
 * The WebGPU (Dawn) backend. Kernels record compute passes into one command
 * encoder; it is submitted lazily (on read/sync, or every
 * `maxDispatchesPerSubmit` dispatches), so a training step costs a handful of
 * submissions. Only `read`/`readRaw`/`sync` wait for the device.
 */
export class WebgpuBackend implements Backend {
  readonly name = 'webgpu';
  device!: GPUDevice;
  adapterName = 'unknown';
  features: ReadonlySet<string> = new Set();

  private pool!: BufferPool;
  private encoder: GPUCommandEncoder | undefined;
  private dispatches = 0;
  private readonly maxDispatches: number;
  private uniformArena!: GPUBuffer;
  private uniformHost!: ArrayBuffer;
  private uniformView!: DataView;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private errorChecks: Promise<GPUError | null>[] = [];
  private lostReason: string | undefined;
  private disposed = false;
  private faultBuffer!: GPUBuffer;
  private faultCheckPending = false;

  private live = 0;
  private bytesInUse = 0;
  private peakBytes = 0;
  private readyPromise: Promise<void> | undefined;

  constructor(private readonly options: WebgpuBackendOptions = {}) {
    this.maxDispatches = Math.max(1, options.maxDispatchesPerSubmit ?? 128);
  }

  ready(): Promise<void> {
    this.readyPromise ??= this.init();
    return this.readyPromise;
  }

  private async init(): Promise<void> {
    const acquired = await acquireDevice(this.options);
    this.device = acquired.device;
    this.adapterName = acquired.adapterName;
    this.features = acquired.features;
    void this.device.lost.then((info) => {
      if (!this.disposed) this.lostReason = `${info.reason}: ${info.message}`;
    });
    this.pool = new BufferPool(this.device, this.options.maxPooledBytes ?? 2 ** 30);
    this.uniformArena = this.device.createBuffer({
      size: UNIFORM_SLOT * this.maxDispatches,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    this.uniformHost = new ArrayBuffer(UNIFORM_SLOT * this.maxDispatches);
    this.uniformView = new DataView(this.uniformHost);
    this.faultBuffer = this.device.createBuffer({
      size: 16,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
    });
    this.openErrorScopes();
  }

  private openErrorScopes(): void {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('internal');
  }

  private closeErrorScopes(): void {
    for (let i = 0; i < 3; i++) this.errorChecks.push(this.device.popErrorScope());
  }

  private assertUsable(where: string): void {
    if (this.disposed) throw new Error(`webgpu backend: ${where} after dispose()`);
    if (this.lostReason)
      throw new Error(`webgpu backend: the device was lost (${this.lostReason}); create a new backend`);
    if (!this.device) throw new Error(`webgpu backend: ${where} before ready() resolved`);
  }

  // ---- storage ----

  /** A storage whose contents a kernel will overwrite completely (pooled, not cleared). */
  createStorage(size: number, dtype: DType): WebgpuStorage {
    this.assertUsable('alloc');
    if (!Number.isInteger(size) || size < 0) throw new Error(`webgpu backend: invalid storage size ${size}`);
    if (!DTYPES.includes(dtype)) throw new Error(`webgpu backend: unknown dtype '${String(dtype)}'`);
    const { buffer } = this.pool.acquire(this.checkedBytes(size, dtype));
    const storage = new WebgpuStorage(size, dtype, buffer);
    this.account(storage.bytes, 1);
    return storage;
  }

  alloc(size: number, dtype: DType): WebgpuStorage {
    this.assertUsable('alloc');
    if (!Number.isInteger(size) || size < 0) throw new Error(`webgpu backend: invalid storage size ${size}`);
    if (!DTYPES.includes(dtype)) throw new Error(`webgpu backend: unknown dtype '${String(dtype)}'`);
    const { buffer, fresh } = this.pool.acquire(this.checkedBytes(size, dtype));
    if (!fresh) this.getEncoder().clearBuffer(buffer);
    const storage = new WebgpuStorage(size, dtype, buffer);
    this.account(storage.bytes, 1);
    return storage;
  }

  /** Bytes of a new storage, refusing at once what the device can never hold in one buffer. */
  private checkedBytes(size: number, dtype: DType): number {
    const bytes = size * bytesPerElement(dtype);
    const max = this.device.limits.maxBufferSize;
    if (bytes > max) {
      throw new Error(
        `webgpu backend: a ${dtype} storage of ${size} elements (${bytes} bytes) exceeds this adapter's maxBufferSize of ${max} bytes (${this.adapterName})`,
      );
    }
    return bytes;
  }

  /** Zero a storage inside the command stream (ordered with the kernels around it). */
  clear(storage: Storage): void {
    this.getEncoder().clearBuffer(asWebgpuStorage(storage, 'webgpu backend: clear').buffer);
  }

  upload(data: Float32Array | Int32Array | Uint16Array, dtype: DType): WebgpuStorage {
    this.assertUsable('upload');
    const words = encodeHost(data, dtype);
    const storage = this.createStorage(data.length, dtype);
    if (words.byteLength > 0)
      this.device.queue.writeBuffer(storage.buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    return storage;
  }

  release(storage: Storage): void {
    const s = asWebgpuStorage(storage, 'webgpu backend: release');
    s.released = true;
    this.pool.release(s.buffer);
    this.account(-s.bytes, -1);
  }

  private account(bytes: number, count: number): void {
    this.bytesInUse += bytes;
    this.live += count;
    if (this.bytesInUse > this.peakBytes) this.peakBytes = this.bytesInUse;
  }

  // ---- transfer ----

  async readRaw(storage: Storage): Promise<Float32Array | Int32Array | Uint16Array> {
    const s = asWebgpuStorage(storage, 'webgpu backend: read');
    this.assertUsable('read');
    const bytes = await this.readWords(s);
    if (s.dtype === 'float32') return new Float32Array(bytes, 0, s.size);
    if (s.dtype === 'int32') return new Int32Array(bytes, 0, s.size);
    return new Uint16Array(bytes, 0, s.size);
  }

  async read(storage: Storage): Promise<Float32Array | Int32Array> {
    const raw = await this.readRaw(storage);
    if (!(raw instanceof Uint16Array)) return raw;
    const decode = storage.dtype === 'float16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
    const out = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = decode(raw[i]!);
    return out;
  }

  private async readWords(s: WebgpuStorage): Promise<ArrayBuffer> {
    const size = s.wordBytes;
    if (size === 0) {
      await this.sync();
      return new ArrayBuffer(0);
    }
    const staging = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.getEncoder().copyBufferToBuffer(s.buffer, 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */);
      const copy = staging.getMappedRange().slice(0);
      staging.unmap();
      await this.checkErrors();
      return copy;
    } catch (err) {
      await this.checkErrors();
      throw err;
    } finally {
      staging.destroy();
    }
  }

  // ---- kernels ----

  run(name: string, inputs: readonly TensorInfo[], attrs: KernelAttrs = {}): TensorInfo[] {
    this.assertUsable(`run('${name}')`);
    const kernel = getKernel(name, this.name);
    const out = kernel({ inputs, attrs, backend: this });
    if (out === undefined) return [];
    return Array.isArray(out) ? out : [out];
  }

  private getEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private pipeline(code: string, name: string): GPUComputePipeline {
    let p = this.pipelines.get(code);
    if (!p) {
      const module = this.device.createShaderModule({ code, label: name });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: name });
      this.pipelines.set(code, p);
    }
    return p;
  }

  /** Record one compute dispatch. Zero-sized grids are skipped. */
  dispatch(d: Dispatch): void {
    if (d.workgroups.some((n) => n <= 0)) return;
    const code = (d.params ? paramsStruct(d.params) : '') + WGSL_HELPERS + d.code;
    const pipeline = this.pipeline(code, d.name);
    const entries: GPUBindGroupEntry[] = [];
    if (d.params) {
      const offset = this.dispatches * UNIFORM_SLOT;
      writeParams(d.params, this.uniformView, offset);
      entries.push({ binding: 0, resource: { buffer: this.uniformArena, offset, size: UNIFORM_SLOT } });
    }
    d.buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.getEncoder().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    pass.end();
    this.dispatches++;
    if (this.dispatches >= this.maxDispatches) this.flush();
  }

  /** Record a buffer-to-buffer copy in the command stream. */
  copyBuffer(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    if (bytes > 0) this.getEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** The fault word a checking kernel binds (array<atomic<u32>, 4>). */
  faultBinding(): GPUBuffer {
    this.faultCheckPending = true;
    return this.faultBuffer;
  }

  /** Submit what is recorded. */
  flush(): void {
    if (!this.encoder) return;
    if (this.dispatches > 0) {
      this.device.queue.writeBuffer(this.uniformArena, 0, this.uniformHost, 0, this.dispatches * UNIFORM_SLOT);
    }
    const commands = this.encoder.finish();
    this.encoder = undefined;
    this.dispatches = 0;
    this.device.queue.submit([commands]);
    this.pool.recycle();
    this.closeErrorScopes();
    this.openErrorScopes();
    // Nobody may read for a long time (a training loop without logging): keep the pending checks bounded.
    if (this.errorChecks.length > 96) {
      const checks = this.errorChecks;
      this.errorChecks = [Promise.all(checks).then((errors) => errors.find((e) => e !== null) ?? null)];
    }
  }

  private async checkErrors(): Promise<void> {
    const checks = this.errorChecks;
    this.errorChecks = [];
    const errors = (await Promise.all(checks)).filter((e): e is GPUError => e !== null);
    if (this.lostReason)
      throw new Error(`webgpu backend: the device was lost (${this.lostReason}); create a new backend`);
    if (errors.length > 0) {
      const e = errors[0]!;
      const kind =
        e.constructor?.name === 'GPUOutOfMemoryError' || /out of memory/i.test(e.message) ? 'out of memory' : 'error';
      if (kind === 'out of memory') this.pool.trim();
      throw new Error(`webgpu backend: device ${kind}: ${e.message}`);
    }
    if (this.faultCheckPending) {
      this.faultCheckPending = false;
      const staging = this.device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(this.faultBuffer, 0, staging, 0, 16);
      enc.clearBuffer(this.faultBuffer);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(1);
      const fault = new Uint32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      if (fault[0] !== 0) {
        throw new Error(
          `webgpu backend: ${FAULTS[fault[0]!] ?? `fault ${fault[0]}`} (offending index ${fault[1]! | 0})`,
        );
      }
    }
  }

  async sync(): Promise<void> {
    this.assertUsable('sync');
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  memory(): MemoryInfo {
    return {
      bytesInUse: this.bytesInUse,
      storages: this.live,
      peakBytes: this.peakBytes,
      pooledBytes: this.pool?.pooledBytes ?? 0,
      deviceBytes: this.pool?.deviceBytes ?? 0,
      pipelines: this.pipelines.size,
    };
  }

  resetPeak(): void {
    this.peakBytes = this.bytesInUse;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    if (this.device && !this.lostReason) {
      this.flush();
      await this.device.queue.onSubmittedWorkDone();
      this.pool.recycle();
      this.pool.trim();
    }
    this.disposed = true;
    this.device?.destroy();
  }
}

/** Host data to the words a storage of `dtype` holds. */
function encodeHost(data: Float32Array | Int32Array | Uint16Array, dtype: DType): Uint8Array {
  if (dtype === 'float32' || dtype === 'int32') {
    if (data instanceof Uint16Array)
      throw new Error(
        `webgpu backend: upload of Uint16Array (raw 16-bit) data needs dtype float16 or bfloat16, got ${dtype}`,
      );
    const words =
      dtype === 'float32'
        ? data instanceof Float32Array
          ? data
          : Float32Array.from(data)
        : data instanceof Int32Array
          ? data
          : Int32Array.from(data, (x) => Math.trunc(x));
    return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  }
  const halves = new Uint16Array(Math.ceil(data.length / 2) * 2);
  if (data instanceof Uint16Array) halves.set(data);
  else {
    const encode = dtype === 'float16' ? float32ToFloat16Bits : float32ToBfloat16Bits;
    for (let i = 0; i < data.length; i++) halves[i] = encode(data[i]!);
  }
  return new Uint8Array(halves.buffer);
}

import { checkReadTarget, widenInto } from '../read-into.js';
import type { Backend, BackendOptions, MemoryInfo, Storage, TensorInfo } from '../backend.js';
import { checkBackendOptionKeys } from '../backend-options.js';
import type { KernelName, RunAttrs } from '../contract/kernel-types.js';
import { bytesPerElement, DTYPES, type DType } from '../dtype.js';
import { backendError } from '../errors.js';
import { fillGuard, guardDamage } from '../guards.js';
import { prepareRun } from '../registry.js';
import { BindGroupCache } from './bind-group-cache.js';
import { BufferPool, BufferUsage } from './buffer-pool.js';
import { acquireDevice, type DeviceOptions } from './device.js';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../dtype-convert.js';
import { UNIFORM_SLOT, WGSL_HELPERS, writeUniforms, type Dispatch } from './program.js';
import { shaderKey, uniformStruct, type ShaderParams, type UniformLayout } from './shader.js';
import { asWebgpuStorage, WebgpuStorage } from './storage.js';
import { summariseKernelTimes, type KernelProfile, type KernelProfileGrouping } from './kernel-profile.js';

export interface WebgpuBackendOptions extends BackendOptions, DeviceOptions {
  /** Dispatches recorded before a submission is forced (default 128). */
  maxDispatchesPerSubmit?: number;
  /** Cap on pooled-but-free buffer bytes (default 1 GiB). */
  maxPooledBytes?: number;
  /**
   * Rebuild the WGSL of every dispatch and check it equals the source the
   * cached pipeline was built from (a template whose source depends on
   * something other than its parameters would otherwise reuse a wrong
   * pipeline). For tests; slows every dispatch down.
   */
  verifyShaderKeys?: boolean;
  /**
   * Read float16 storages as WGSL `f16` where the adapter has `shader-f16`
   * (default true). With false, or without the feature, kernels read them as
   * packed 32-bit words and widen with `unpack2x16float`; the results are the same.
   */
  shaderF16?: boolean;
}

/** The options the webgpu backend reads; it refuses any other. */
export const WEBGPU_BACKEND_OPTION_NAMES: readonly string[] = [
  'maxDispatchesPerSubmit',
  'maxPooledBytes',
  'verifyShaderKeys',
  'shaderF16',
  'powerPreference',
  'dawnFlags',
];

/** The webgpu backend's options, checked before a device is asked for. */
function checkWebgpuOptions(options: WebgpuBackendOptions): void {
  checkBackendOptionKeys('webgpu', options, WEBGPU_BACKEND_OPTION_NAMES);
  const bad = (field: string, what: string, value: unknown) =>
    backendError(
      'webgpu',
      'create',
      `options.${field} must be ${what}, got ${typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))}`,
    );
  const { maxDispatchesPerSubmit: dispatches, maxPooledBytes: pooled, powerPreference, dawnFlags } = options;
  if (dispatches !== undefined && !(Number.isInteger(dispatches) && dispatches >= 1))
    throw bad('maxDispatchesPerSubmit', 'an integer >= 1', dispatches);
  if (pooled !== undefined && !(typeof pooled === 'number' && pooled >= 0 && pooled !== Infinity))
    throw bad('maxPooledBytes', 'a finite number >= 0', pooled);
  for (const flag of ['verifyShaderKeys', 'shaderF16'] as const)
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') throw bad(flag, 'a boolean', options[flag]);
  if (powerPreference !== undefined && powerPreference !== 'high-performance' && powerPreference !== 'low-power')
    throw bad('powerPreference', "'high-performance' or 'low-power'", powerPreference);
  if (dawnFlags !== undefined && !(Array.isArray(dawnFlags) && dawnFlags.every((f) => typeof f === 'string')))
    throw bad('dawnFlags', 'an array of strings', dawnFlags);
}

/** Fault codes kernels raise through the shared fault word (see `faultBinding`). */
export const FAULTS: Record<number, string> = {
  1: 'gatherRows: an index is out of range [0, rows)',
  2: 'scatterAddRows: an index is out of range [0, numRows)',
  3: 'takeAlongAxis: an index is out of range [0, V)',
  4: 'putAlongAxis: an index is out of range [0, size)',
  5: 'softmaxCrossEntropy: a target is out of range [0, V)',
  6: 'softmaxCrossEntropyGrad: a target is out of range [0, V)',
};

/** An open kernel profile: its query set, and the dispatches timed in each submission. */
interface OpenProfile {
  querySet: GPUQuerySet;
  /** Where a submission's timestamps are resolved before they are copied out. */
  resolved: GPUBuffer;
  /** What a dispatch is summed under: its shader, or its shader and workgroup grid. */
  by: KernelProfileGrouping;
  /** Labels of the dispatches recorded since the last submission (query pair i is dispatch i). */
  labels: string[];
  /** Submitted: each submission's labels and the buffer its timestamps were copied to. */
  submitted: { labels: string[]; staging: GPUBuffer }[];
}

interface CachedPipeline {
  /** Names the pipeline in bind-group cache keys. */
  id: number;
  pipeline: GPUComputePipeline;
  /** Its bind group layout, asked for once (each ask is a call into Dawn that makes a new wrapper). */
  layout: GPUBindGroupLayout;
  uniforms: UniformLayout;
  /** The full source, kept only when verifying shader keys. */
  code?: string;
}

/**
 * The WebGPU (Dawn) backend. Kernels record their dispatches into one compute
 * pass of one command encoder (the pass ends only for a copy or a clear, or at
 * submission: WebGPU orders the dispatches of a pass as it orders passes); it is
 * submitted lazily (on read/sync, or every `maxDispatchesPerSubmit` dispatches),
 * so a training step costs a handful of submissions. Only `read`/`readRaw`/`sync`
 * wait for the device.
 */
export class WebgpuBackend implements Backend {
  readonly name = 'webgpu';
  device!: GPUDevice;
  adapterName = 'unknown';
  features: ReadonlySet<string> = new Set();
  /** Kernels read float16 storages as WGSL `f16` (the device has `shader-f16` and `shaderF16` is not false). */
  nativeF16 = false;

  private pool!: BufferPool;
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private dispatches = 0;
  private readonly maxDispatches: number;
  private uniformArena!: GPUBuffer;
  private uniformHost!: ArrayBuffer;
  private uniformView!: DataView;
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly bindGroups = new BindGroupCache();
  /** Guard bytes after every new storage (0: none); see setGuards. */
  private guardBytes = 0;
  private errorChecks: Promise<GPUError | null>[] = [];
  private lostReason: string | undefined;
  private disposed = false;
  private faultBuffer!: GPUBuffer;
  private faultCheckPending = false;
  private profile: OpenProfile | undefined;

  private live = 0;
  private bytesInUse = 0;
  private peakBytes = 0;
  private readyPromise: Promise<void> | undefined;

  constructor(private readonly options: WebgpuBackendOptions = {}) {
    checkWebgpuOptions(options);
    this.maxDispatches = options.maxDispatchesPerSubmit ?? 128;
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
    this.nativeF16 = this.features.has('shader-f16') && this.options.shaderF16 !== false;
    void this.device.lost.then((info) => {
      if (!this.disposed) this.lostReason = `${info.reason}: ${info.message}`;
    });
    const { maxStorageBufferBindingSize, maxBufferSize } = this.device.limits;
    this.pool = new BufferPool(
      this.device,
      this.options.maxPooledBytes ?? 2 ** 30,
      Math.min(maxStorageBufferBindingSize, maxBufferSize),
    );
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

  private assertUsable(operation: string): void {
    if (this.disposed) throw new Error(`backend '${this.name}' was disposed (${operation})`);
    if (this.lostReason)
      throw backendError(this.name, operation, `the device was lost (${this.lostReason}); create a new backend`);
    if (!this.device) throw backendError(this.name, operation, 'called before ready() resolved');
  }

  private checkAllocation(operation: string, size: number, dtype: DType): void {
    if (!Number.isInteger(size) || size < 0)
      throw backendError(this.name, operation, `size must be a non-negative integer, got ${size}`);
    if (!DTYPES.includes(dtype))
      throw backendError(this.name, operation, `unknown dtype '${String(dtype)}' (expected ${DTYPES.join(', ')})`);
  }

  // ---- storage ----

  /** A storage whose contents a kernel will overwrite completely (pooled, not cleared). */
  createStorage(size: number, dtype: DType): WebgpuStorage {
    return this.newStorage('alloc', size, dtype).storage;
  }

  alloc(size: number, dtype: DType): WebgpuStorage {
    const { storage, fresh } = this.newStorage('alloc', size, dtype);
    if (!fresh && storage.wordBytes > 0) this.getEncoder().clearBuffer(storage.buffer, 0, storage.wordBytes);
    return storage;
  }

  private newStorage(operation: string, size: number, dtype: DType): { storage: WebgpuStorage; fresh: boolean } {
    this.assertUsable(operation);
    this.checkAllocation(operation, size, dtype);
    const guard = this.guardBytes;
    const { buffer, fresh } = this.pool.acquire(this.checkedBytes(operation, size, dtype) + guard);
    const storage = new WebgpuStorage(size, dtype, buffer, guard);
    if (guard > 0) {
      // Runs on the queue before any command recorded after it: the sentinel is in place before a kernel writes.
      const sentinel = new Uint32Array(guard / 4);
      fillGuard(sentinel);
      this.device.queue.writeBuffer(buffer, storage.wordBytes, sentinel);
    }
    this.account(storage.bytes, 1);
    return { storage, fresh };
  }

  /** Bytes of a new storage, refusing at once what the device can never hold in one buffer. */
  private checkedBytes(operation: string, size: number, dtype: DType): number {
    const bytes = size * bytesPerElement(dtype);
    const max = this.device.limits.maxBufferSize;
    if (bytes > max) {
      throw backendError(
        this.name,
        operation,
        `a ${dtype} storage of ${size} elements (${bytes} bytes) exceeds this adapter's maxBufferSize of ${max} bytes (${this.adapterName})`,
      );
    }
    return bytes;
  }

  /**
   * Guard regions (see Backend.setGuards). Only after the data: indices in
   * WGSL are unsigned, so an index below zero wraps far past the end of the
   * binding, where robust buffer access drops the write or keeps it inside
   * the binding; a write just past the end lands in the guard.
   */
  setGuards(elements: number): void {
    if (!Number.isInteger(elements) || elements < 0)
      throw backendError(this.name, 'setGuards', `elements must be a non-negative integer, got ${elements}`);
    this.guardBytes = elements * 4;
  }

  async checkGuards(storages: readonly Storage[]): Promise<(string | null)[]> {
    this.assertUsable('checkGuards');
    const own = storages.map((s) => asWebgpuStorage(s, `${this.name}.checkGuards`));
    const total = own.reduce((sum, s) => sum + s.guardBytes, 0);
    if (total === 0) return own.map(() => null);
    // Every guard region into one staging buffer: one submission and one map for the lot.
    const staging = this.device.createBuffer({ size: total, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    let at = 0;
    for (const s of own) {
      if (s.guardBytes > 0) this.getEncoder().copyBufferToBuffer(s.buffer, s.wordBytes, staging, at, s.guardBytes);
      at += s.guardBytes;
    }
    this.flush();
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */);
      const words = new Uint32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      await this.checkErrors();
      let offset = 0;
      return own.map((s) => {
        const region = words.subarray(offset / 4, (offset + s.guardBytes) / 4);
        offset += s.guardBytes;
        return s.guardBytes === 0 ? null : guardDamage(region, 'after the data');
      });
    } finally {
      staging.destroy();
    }
  }

  /** Zero a storage inside the command stream (ordered with the kernels around it). */
  clear(storage: Storage): void {
    const s = asWebgpuStorage(storage, `${this.name}.clear`);
    if (s.wordBytes > 0) this.getEncoder().clearBuffer(s.buffer, 0, s.wordBytes);
  }

  upload(data: Float32Array | Int32Array | Uint16Array, dtype: DType): WebgpuStorage {
    this.assertUsable('upload');
    this.checkAllocation('upload', data.length, dtype);
    const words = encodeHost(data, dtype);
    const storage = this.newStorage('upload', data.length, dtype).storage;
    if (words.byteLength > 0)
      this.device.queue.writeBuffer(storage.buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    return storage;
  }

  release(storage: Storage): void {
    const s = asWebgpuStorage(storage, `${this.name}.release`);
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
    const s = asWebgpuStorage(storage, `${this.name}.read`);
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

  async readInto(storage: Storage, target: Float32Array | Int32Array): Promise<void> {
    const s = asWebgpuStorage(storage, `${this.name}.readInto`);
    this.assertUsable('readInto');
    checkReadTarget(s.dtype, s.size, target, `${this.name}.readInto`);
    const elementBytes = bytesPerElement(s.dtype);
    // The first target.length elements only, rounded up to the 4 bytes a buffer copy moves.
    const bytes = Math.ceil((target.length * elementBytes) / 4) * 4;
    await this.readMapped(s, bytes, (range) => {
      const stored =
        elementBytes === 2
          ? new Uint16Array(range, 0, target.length)
          : s.dtype === 'int32'
            ? new Int32Array(range, 0, target.length)
            : new Float32Array(range, 0, target.length);
      widenInto(stored, s.dtype, target);
    });
  }

  private readWords(s: WebgpuStorage): Promise<ArrayBuffer> {
    return this.readMapped(s, s.wordBytes, (range) => range.slice(0));
  }

  /** The storage's first `size` bytes copied to a mapped staging buffer, and `use` given its range while mapped. */
  private async readMapped<T>(s: WebgpuStorage, size: number, use: (range: ArrayBuffer) => T): Promise<T> {
    if (size === 0) {
      await this.sync();
      return use(new ArrayBuffer(0));
    }
    const staging = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.getEncoder().copyBufferToBuffer(s.buffer, 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(1 /* GPUMapMode.READ */);
      const result = use(staging.getMappedRange());
      staging.unmap();
      await this.checkErrors();
      return result;
    } catch (err) {
      await this.checkErrors();
      throw err;
    } finally {
      staging.destroy();
    }
  }

  // ---- kernels ----

  run<N extends KernelName>(name: N, inputs: readonly TensorInfo[], ...attrs: RunAttrs<N>): TensorInfo[] {
    this.assertUsable(`run('${name}')`);
    const prepared = prepareRun(this.name, name, inputs, attrs[0]);
    for (let i = 0; i < inputs.length; i++) asWebgpuStorage(inputs[i].storage, `${name}: input ${i}`);
    const out = prepared.kernel({ inputs, attrs: prepared.attrs, backend: this });
    if (out === undefined) return [];
    return Array.isArray(out) ? out : [out];
  }

  /** The encoder, for a copy or a clear: an open compute pass ends first. */
  private getEncoder(): GPUCommandEncoder {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  /** The open compute pass, begun when there is none. */
  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.encoder ??= this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }

  /** The pipeline of a template at some parameters: built the first time its key is seen, then cached. */
  private pipeline<P extends ShaderParams>(d: Dispatch<P>): CachedPipeline {
    const key = shaderKey(d.shader as never, d.params);
    let cached = this.pipelines.get(key);
    if (!cached || this.options.verifyShaderKeys) {
      const source = d.shader.build(d.params);
      const uniforms = source.uniforms ?? [];
      // `enable` directives must come before any declaration.
      const enables = (source.enable ?? []).map((e) => `enable ${e};\n`).join('');
      const code = enables + uniformStruct(uniforms) + WGSL_HELPERS + source.code;
      if (cached) {
        if (cached.code !== code) {
          throw backendError(
            this.name,
            'dispatch',
            `shader template '${d.shader.name}' built different WGSL for the same key ${key}: its source depends on something that is not among its parameters`,
          );
        }
        return cached;
      }
      const module = this.device.createShaderModule({ code, label: key });
      const pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
        label: key,
      });
      const layout = pipeline.getBindGroupLayout(0);
      cached = {
        id: this.pipelines.size,
        pipeline,
        layout,
        uniforms,
        code: this.options.verifyShaderKeys ? code : undefined,
      };
      this.pipelines.set(key, cached);
    }
    return cached;
  }

  /** Record one compute dispatch. Zero-sized grids are skipped. */
  dispatch<P extends ShaderParams>(d: Dispatch<P>): void {
    if (d.workgroups.some((n) => n <= 0)) return;
    const cached = this.pipeline(d);
    const { pipeline, uniforms } = cached;
    const withUniforms = uniforms.length > 0;
    const offset = this.dispatches * UNIFORM_SLOT;
    if (withUniforms) {
      writeUniforms(d.shader.name, uniforms, d.uniforms ?? {}, this.uniformView, offset);
    } else if (d.uniforms && Object.keys(d.uniforms).length > 0) {
      throw backendError(this.name, 'dispatch', `shader '${d.shader.name}' declares no uniforms but was given some`);
    }
    // A binding over the adapter's limit would only fail later, at a read, without the
    // kernel's name (the device reports it asynchronously): refuse it here.
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    d.buffers.forEach((buffer, i) => {
      if (buffer.size > maxBinding)
        throw backendError(
          this.name,
          'dispatch',
          `shader '${d.shader.name}' binds a buffer of ${buffer.size} bytes at binding ${i + 1}, over this adapter's maxStorageBufferBindingSize of ${maxBinding} bytes (${this.adapterName}): split the tensor (e.g. a smaller vocabulary chunk) or use an adapter with a larger limit`,
        );
    });
    // The uniform slot is part of the group (a dynamic offset instead made lavapipe's dispatches slower).
    const slot = withUniforms ? this.dispatches : -1;
    const bindGroup = this.bindGroups.get(cached.id, slot, d.buffers, () => {
      const entries: GPUBindGroupEntry[] = d.buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } }));
      if (withUniforms)
        entries.push({ binding: 0, resource: { buffer: this.uniformArena, offset, size: UNIFORM_SLOT } });
      return this.device.createBindGroup({ layout: cached.layout, entries, label: d.shader.name });
    });
    const profile = this.profile;
    // Profiling: a pass of its own per dispatch, its beginning and end timestamped (query pair i for dispatch i).
    const pass = profile
      ? this.timedPass(profile, profile.by === 'grid' ? `${d.shader.name} ${d.workgroups.join('x')}` : d.shader.name)
      : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    if (profile) this.endPass();
    this.dispatches++;
    if (this.dispatches >= this.maxDispatches) this.flush();
  }

  private timedPass(profile: OpenProfile, label: string): GPUComputePassEncoder {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    const pair = profile.labels.length;
    profile.labels.push(label);
    this.pass = this.encoder.beginComputePass({
      timestampWrites: {
        querySet: profile.querySet,
        beginningOfPassWriteIndex: 2 * pair,
        endOfPassWriteIndex: 2 * pair + 1,
      },
    });
    return this.pass;
  }

  /**
   * Start timing every kernel on the device (WebGPU timestamp queries; the adapter
   * must have `timestamp-query`) until `stopProfile`. Meant for a step or a few:
   * each dispatch runs in a pass of its own meanwhile, so the run is slower, and
   * the timestamps are kept until the profile is read. `by: 'grid'` sums each
   * shader's dispatches per workgroup grid (`matmul.regblock 16x8x1`): a product's
   * shape and tiling, where the shader name alone lumps them together.
   */
  startProfile(options: { by?: KernelProfileGrouping } = {}): void {
    this.assertUsable('startProfile');
    const by = options.by ?? 'shader';
    if (by !== 'shader' && by !== 'grid')
      throw backendError(this.name, 'startProfile', `options.by must be 'shader' or 'grid', got ${JSON.stringify(by)}`);
    if (this.profile) throw backendError(this.name, 'startProfile', 'a profile is already open: stopProfile() first');
    if (!this.features.has('timestamp-query'))
      throw backendError(
        this.name,
        'startProfile',
        `the adapter (${this.adapterName}) does not offer 'timestamp-query', which kernel timing needs`,
      );
    // What has been recorded so far is not timed: submitted now, so every query pair belongs to a timed dispatch.
    this.flush();
    const pairs = this.maxDispatches;
    this.profile = {
      querySet: this.device.createQuerySet({ type: 'timestamp', count: 2 * pairs }),
      resolved: this.device.createBuffer({
        size: 16 * pairs,
        usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC,
      }),
      by,
      labels: [],
      submitted: [],
    };
  }

  /** Stop timing and read the device time of every kernel since `startProfile`, summed by shader. */
  async stopProfile(): Promise<KernelProfile> {
    this.assertUsable('stopProfile');
    const profile = this.profile;
    if (!profile) throw backendError(this.name, 'stopProfile', 'no profile is open: startProfile() first');
    this.flush();
    this.profile = undefined;
    const labels: string[] = [];
    const times: bigint[] = [];
    try {
      for (const { labels: submitted, staging } of profile.submitted) {
        await staging.mapAsync(1 /* GPUMapMode.READ */);
        times.push(...new BigUint64Array(staging.getMappedRange().slice(0)));
        labels.push(...submitted);
        staging.unmap();
      }
      await this.checkErrors();
    } finally {
      for (const { staging } of profile.submitted) staging.destroy();
      profile.querySet.destroy();
      profile.resolved.destroy();
    }
    return summariseKernelTimes(labels, BigUint64Array.from(times));
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
    this.endPass();
    if (!this.encoder) return;
    if (this.dispatches > 0) {
      this.device.queue.writeBuffer(this.uniformArena, 0, this.uniformHost, 0, this.dispatches * UNIFORM_SLOT);
    }
    const profile = this.profile;
    const timed = profile?.labels.length ?? 0;
    let staging: GPUBuffer | undefined;
    if (profile && timed > 0) {
      staging = this.device.createBuffer({ size: 16 * timed, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      this.encoder.resolveQuerySet(profile.querySet, 0, 2 * timed, profile.resolved, 0);
      this.encoder.copyBufferToBuffer(profile.resolved, 0, staging, 0, 16 * timed);
    }
    const commands = this.encoder.finish();
    this.encoder = undefined;
    if (profile && staging) {
      profile.submitted.push({ labels: profile.labels, staging });
      profile.labels = [];
    }
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
      throw backendError(this.name, 'read', `the device was lost (${this.lostReason}); create a new backend`);
    if (errors.length > 0) {
      const e = errors[0]!;
      const kind =
        e.constructor?.name === 'GPUOutOfMemoryError' || /out of memory/i.test(e.message) ? 'out of memory' : 'error';
      if (kind === 'out of memory') {
        this.pool.trim();
        this.bindGroups.clear(); // they hold the trimmed buffers
      }
      throw backendError(this.name, 'read', `device ${kind}: ${e.message}`);
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
        throw new Error(`${FAULTS[fault[0]!] ?? `webgpu: fault ${fault[0]}`} (offending index ${fault[1]! | 0})`);
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
      bindGroups: this.bindGroups.size,
      bindGroupHits: this.bindGroups.hits,
      bindGroupMisses: this.bindGroups.misses,
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
      throw backendError(
        'webgpu',
        'upload',
        `a Uint16Array holds raw float16/bfloat16 bits and cannot be uploaded as ${dtype}`,
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

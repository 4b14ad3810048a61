/**
 * The Tensor handle: shape, dtype, a reference-counted backend storage and
 * the autograd links. Ops are free functions (ops/*) and also methods here.
 */
import type { DType, TensorInfo } from '@molrl/gpu-backend';
import { isFloat } from '@molrl/gpu-backend';
import { engine, flushNumericsChecks } from './engine.js';
import type { GradNode } from './autograd/node.js';
import { fmt, type Shape, sizeOf } from './shape.js';
import { StorageRef } from './storage.js';
import * as ops from './ops/index.js';
import type { AttentionOptions, Operand, ReduceOptions } from './ops/index.js';
import { backward, type BackwardOptions } from './autograd/backward.js';

export class Tensor {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  /** The op that produced this tensor ('tensor', 'zeros', 'matmul', ...), for error messages. */
  readonly op: string;
  /** Optional label shown in error messages (parameters get their state-dict name). */
  name: string | undefined;
  /** The gradient, set by backward() on tensors that require grad and are leaves (or retainGrad()). */
  grad: Tensor | null = null;
  /** @internal */ ref: StorageRef;
  /** @internal */ gradFn: GradNode | null = null;
  /** @internal */ outputIndex = 0;
  /** @internal */ disposed = false;
  /** @internal: never released by a tidy scope. */ kept = false;
  private _requiresGrad = false;

  /** @internal Use the factories (tensor, zeros, ...) instead. */
  constructor(ref: StorageRef, shape: Shape, op: string, track = true) {
    this.id = engine.nextTensorId++;
    this.ref = ref;
    this.shape = Object.freeze(shape.slice());
    this.dtype = ref.dtype;
    this.size = sizeOf(shape);
    this.op = op;
    engine.liveTensors++;
    if (track) {
      const scope = engine.scopes[engine.scopes.length - 1];
      if (scope) scope.push(this);
    }
  }

  get rank(): number {
    return this.shape.length;
  }

  /** True for tensors made by the user (not by a recorded op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (!this.isLeaf) {
      throw new Error(`${this.describe()}: requiresGrad can only be changed on leaf tensors (use detach())`);
    }
    if (value && !isFloat(this.dtype)) throw new Error(`${this.describe()}: only float tensors can require grad`);
    this._requiresGrad = value;
  }

  /** @internal set by the graph recorder on op outputs. */
  setGradFn(node: GradNode, index: number): void {
    this.gradFn = node;
    this.outputIndex = index;
    this._requiresGrad = true;
    node.refs++;
  }

  /** "tensor #12 'q_proj.weight' [4, 8] float32 (from matmul)" */
  describe(): string {
    const label = this.name ? ` '${this.name}'` : '';
    return `tensor #${this.id}${label} ${fmt(this.shape)} ${this.dtype} (from ${this.op})`;
  }

  /** @internal Throw a use-after-release error naming the op and this tensor. */
  assertAlive(op: string): void {
    if (this.disposed) throw new Error(`${op}: ${this.describe()} was used after dispose()`);
  }

  /** @internal The kernel's view of this tensor. */
  info(op: string): TensorInfo {
    this.assertAlive(op);
    return { storage: this.ref.storage, shape: this.shape, dtype: this.dtype };
  }

  /**
   * Release this handle. The storage goes back to the backend when no other
   * handle (view, tensor saved for backward) shares it. Disposing twice is a no-op.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    engine.liveTensors--;
    this.ref.release();
    if (this.gradFn) {
      const node = this.gradFn;
      this.gradFn = null;
      node.unref();
    }
  }

  /** Host copy of the data, row-major, widened to float32 (int32 tensors: exact below 2^24; see intData()). */
  async data(): Promise<Float32Array> {
    this.assertAlive('data');
    if (engine.pendingChecks.length || engine.numericsError) await flushNumericsChecks();
    const d = await this.ref.backend.read(this.ref.storage);
    return toF32(d, this.size);
  }

  /**
   * The data, widened to float32, written into `target` (at least `size`
   * elements; the first `size` are written) rather than a new array: a buffer
   * reused call after call, or shared memory that worker threads read. On a
   * backend with `readInto` no other array is made. Returns the view of
   * `target` that holds the data.
   */
  async dataInto(target: Float32Array): Promise<Float32Array> {
    this.assertAlive('dataInto');
    if (!(target instanceof Float32Array))
      throw new TypeError(`${this.describe()}: dataInto needs a Float32Array, got ${describeValue(target)}`);
    if (target.length < this.size)
      throw new RangeError(
        `${this.describe()}: dataInto's target holds ${target.length} elements, the tensor ${this.size}`,
      );
    const view = target.subarray(0, this.size);
    const backend = this.ref.backend;
    if (this.dtype === 'int32' || !backend.readInto) {
      view.set(await this.data());
      return view;
    }
    if (engine.pendingChecks.length || engine.numericsError) await flushNumericsChecks();
    await backend.readInto(this.ref.storage, view);
    return view;
  }

  /** Host copy of an int32 tensor's data as Int32Array. */
  async intData(): Promise<Int32Array> {
    this.assertAlive('intData');
    const d = await this.ref.backend.read(this.ref.storage);
    return d instanceof Int32Array ? d.subarray(0, this.size) : Int32Array.from(d.subarray(0, this.size));
  }

  /** Synchronous host copy, only on backends with readSync (cpu). */
  dataSync(): Float32Array {
    this.assertAlive('dataSync');
    const read = this.ref.backend.readSync;
    if (!read) throw new Error(`dataSync: backend '${this.ref.backend.name}' reads asynchronously; use await t.data()`);
    return toF32(read.call(this.ref.backend, this.ref.storage), this.size);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: ${this.describe()} has ${this.size} elements, not 1`);
    return (await this.data())[0]!;
  }

  /** Nested JS arrays of the data. */
  async array(): Promise<unknown> {
    const d = await this.data();
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.rank) return d[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** Keep this tensor out of every tidy scope's cleanup. */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** A handle on the same storage without autograd history. */
  detach(): Tensor {
    this.assertAlive('detach');
    return new Tensor(this.ref.retain(), this.shape, 'detach');
  }

  /** Keep .grad on this non-leaf tensor when backward runs. */
  retainGrad(): this {
    if (this.gradFn) this.gradFn.retainGradOf(this.outputIndex, this);
    return this;
  }

  /** Dispose and clear the gradient. */
  zeroGrad(): void {
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /**
   * Replace this tensor's contents with `value`'s (same shape; cast to this
   * dtype). Views made earlier keep the old contents. For parameters and
   * loading weights: it does not record a graph.
   */
  assign(value: Tensor): this {
    this.assertAlive('assign');
    if (!this.isLeaf) throw new Error(`assign: ${this.describe()} is not a leaf tensor`);
    ops.assignInto(this, value);
    return this;
  }

  backward(gradient?: Tensor, options?: BackwardOptions): void {
    backward(this, gradient, options);
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- ops as methods -------------------------------------------------
  add(b: Operand): Tensor {
    return ops.add(this, b);
  }
  sub(b: Operand): Tensor {
    return ops.sub(this, b);
  }
  mul(b: Operand): Tensor {
    return ops.mul(this, b);
  }
  div(b: Operand): Tensor {
    return ops.div(this, b);
  }
  pow(b: Operand): Tensor {
    return ops.pow(this, b);
  }
  maximum(b: Operand): Tensor {
    return ops.maximum(this, b);
  }
  minimum(b: Operand): Tensor {
    return ops.minimum(this, b);
  }
  equal(b: Operand): Tensor {
    return ops.equal(this, b);
  }
  notEqual(b: Operand): Tensor {
    return ops.notEqual(this, b);
  }
  greater(b: Operand): Tensor {
    return ops.greater(this, b);
  }
  greaterEqual(b: Operand): Tensor {
    return ops.greaterEqual(this, b);
  }
  less(b: Operand): Tensor {
    return ops.less(this, b);
  }
  lessEqual(b: Operand): Tensor {
    return ops.lessEqual(this, b);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }
  silu(): Tensor {
    return ops.silu(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  clamp(low?: number, high?: number): Tensor {
    return ops.clamp(this, low, high);
  }
  isNaN(): Tensor {
    return ops.isNaN(this);
  }
  isInf(): Tensor {
    return ops.isInf(this);
  }
  matmul(b: Tensor, options?: ops.MatmulOptions): Tensor {
    return ops.matmul(this, b, options);
  }
  sum(axes?: number | number[], options?: ReduceOptions): Tensor {
    return ops.sum(this, axes, options);
  }
  mean(axes?: number | number[], options?: ReduceOptions): Tensor {
    return ops.mean(this, axes, options);
  }
  max(axes?: number | number[], options?: ReduceOptions): Tensor {
    return ops.max(this, axes, options);
  }
  min(axes?: number | number[], options?: ReduceOptions): Tensor {
    return ops.min(this, axes, options);
  }
  argmax(axis = -1): Tensor {
    return ops.argmax(this, axis);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  logSumExp(axis = -1, options?: ReduceOptions): Tensor {
    return ops.logSumExp(this, axis, options);
  }
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  flatten(): Tensor {
    return ops.reshape(this, [this.size]);
  }
  squeeze(axis?: number): Tensor {
    return ops.squeeze(this, axis);
  }
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  swapAxes(a: number, b: number): Tensor {
    return ops.swapAxes(this, a, b);
  }
  slice(begin: readonly number[], size?: readonly number[]): Tensor {
    return ops.slice(this, begin, size);
  }
  broadcastTo(shape: readonly number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }
  concat(others: readonly Tensor[], axis = 0): Tensor {
    return ops.concat([this, ...others], axis);
  }
  split(sizes: number | readonly number[], axis = 0): Tensor[] {
    return ops.split(this, sizes, axis);
  }
  gather(indices: Tensor): Tensor {
    return ops.gather(this, indices);
  }
  embedding(ids: Tensor): Tensor {
    return ops.embedding(this, ids);
  }
  /** PyTorch's x.where(condition, other): condition ? x : other. */
  where(condition: Tensor, other: Operand): Tensor {
    return ops.where(condition, this, other);
  }
  takeAlongAxis(indices: Tensor): Tensor {
    return ops.takeAlongAxis(this, indices);
  }
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  rmsNorm(weight: Tensor, eps?: number): Tensor {
    return ops.rmsNorm(this, weight, eps);
  }
  rope(positions: Tensor, theta?: number): Tensor {
    return ops.rope(this, positions, theta);
  }
  attention(k: Tensor, v: Tensor, options?: AttentionOptions): Tensor {
    return ops.attention(this, k, v, options);
  }
}

function describeValue(x: unknown): string {
  return x === null || typeof x !== 'object' ? String(x) : (x.constructor?.name ?? 'an object');
}

function toF32(d: Float32Array | Int32Array | Uint16Array, size: number): Float32Array {
  if (d instanceof Float32Array) return d.length === size ? d : d.subarray(0, size);
  return Float32Array.from(d.subarray(0, size));
}

/**
 * The op plumbing every op uses: dispatch a kernel, wrap its outputs as
 * tensors, record the graph node, and run the debug checks. Kept small and
 * synchronous: one kernel call, one object per output, no copies.
 */
import type { KernelName, RunAttrs, TensorInfo } from '@molrl/gpu-backend';
import { isFloat } from '@molrl/gpu-backend';
import { engine, getBackend, gradEnabled } from '../engine.js';
import { GradNode, type BackwardFn, type Edge } from '../autograd/node.js';
import { Tensor } from '../tensor.js';
import { StorageRef } from '../storage.js';
import { fmt } from '../shape.js';

/** Run kernel `kernel` for op `op` on `inputs`; returns the kernel's raw outputs. Attrs are typed per kernel. */
export function runKernel<N extends KernelName>(
  op: string,
  kernel: N,
  inputs: readonly Tensor[],
  ...attrs: RunAttrs<N>
): TensorInfo[] {
  const backend = getBackend();
  const infos = new Array<TensorInfo>(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i]!;
    t.assertAlive(op);
    if (t.ref.backend !== backend) {
      throw new Error(
        `${op}: ${t.describe()} lives on backend '${t.ref.backend.name}', the current backend is '${backend.name}'`,
      );
    }
    infos[i] = { storage: t.ref.storage, shape: t.shape, dtype: t.dtype };
  }
  return backend.run(kernel, infos, ...attrs);
}

/** Wrap a kernel output as a new tensor in the current tidy scope. */
export function wrap(info: TensorInfo, op: string): Tensor {
  const t = new Tensor(new StorageRef(info.storage, getBackend()), info.shape, op);
  if (engine.debug.checkNumerics && isFloat(t.dtype)) checkNumerics(t, op);
  return t;
}

/** Run a single-output kernel and wrap its result. */
export function run1<N extends KernelName>(
  op: string,
  kernel: N,
  inputs: readonly Tensor[],
  ...attrs: RunAttrs<N>
): Tensor {
  const out = runKernel(op, kernel, inputs, ...attrs);
  return wrap(out[0]!, op);
}

/** True when an op on these inputs must record a graph node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (engine.noGradDepth > 0) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Record a graph node for `outputs` made by `op` from `inputs`. `save` are
 * the tensors the backward needs; they are kept alive (as separate handles on
 * the same storage) until the backward ran or the graph is dropped, so the
 * caller may dispose the originals. Call only when needsGrad(...inputs).
 */
export function record(
  op: string,
  inputs: readonly (Tensor | null)[],
  outputs: readonly Tensor[],
  save: readonly Tensor[],
  backwardFn: BackwardFn,
  /** Handles already made for the node (customOp), appended to the saved list. */
  presaved: readonly Tensor[] = [],
): void {
  if (!gradEnabled()) {
    for (const t of presaved) t.dispose();
    return;
  }
  const edges: Edge[] = inputs.map((t) => {
    if (!t || !t.requiresGrad) return null;
    if (t.gradFn) return { node: t.gradFn, index: t.outputIndex };
    return { leaf: t };
  });
  const saved = [...save.map((t) => savedHandle(t, op)), ...presaved];
  const node = new GradNode(
    op,
    edges,
    inputs.map((t) => (t ? t.shape : [])),
    outputs.length,
    backwardFn,
    saved,
  );
  outputs.forEach((o, i) => o.setGradFn(node, i));
}

function savedHandle(t: Tensor, op: string): Tensor {
  t.assertAlive(op);
  return new Tensor(t.ref.retain(), t.shape, `${t.op} (saved by ${op})`, false);
}

/** A new handle on `t`'s storage with another shape (no copy, no graph). */
export function viewOf(t: Tensor, shape: readonly number[], op: string, track = true): Tensor {
  return new Tensor(t.ref.retain(), shape, op, track);
}

export function assertFloat(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') {
      throw new Error(`${op}: expected float32, got ${t.describe()} (cast it first: t.cast('float32'))`);
    }
  }
}

export function assertInt(op: string, what: string, t: Tensor): void {
  if (t.dtype !== 'int32') throw new Error(`${op}: ${what} must be int32, got ${t.describe()}`);
}

function checkNumerics(t: Tensor, op: string): void {
  const backend = t.ref.backend;
  const where = engine.backwardOp ? ` in the backward of '${engine.backwardOp}'` : '';
  const report = (d: Float32Array | Int32Array | Uint16Array) => {
    for (let i = 0; i < t.size; i++) {
      const v = d[i]!;
      if (!Number.isFinite(v)) {
        throw new Error(
          `checkNumerics: op '${op}'${where} produced ${Number.isNaN(v) ? 'NaN' : v} at flat index ${i} of its output ${fmt(t.shape)}`,
        );
      }
    }
  };
  if (backend.readSync) report(backend.readSync(t.ref.storage));
  else {
    // Asynchronous device: check when the data arrives; the first failure is
    // kept and thrown by the next data() / flushNumericsChecks().
    const ref = t.ref.retain();
    engine.pendingChecks.push(
      backend
        .read(ref.storage)
        .then((d) => report(d))
        .catch((e: unknown) => {
          engine.numericsError ??= e instanceof Error ? e : new Error(String(e));
        })
        .finally(() => ref.release()),
    );
  }
}

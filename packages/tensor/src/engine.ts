/**
 * The engine: the current backend, the grad mode, the tidy scopes and the
 * debug switches. The front end never looks at the device: it hands kernel
 * names, storages and attributes to the backend and gets storages back.
 */
import type { Backend, BackendOptions, MemoryInfo } from '@molrl/gpu-backend';
import { createBackend } from '@molrl/gpu-backend';
import type { Tensor } from './tensor.js';

export interface DebugOptions {
  /**
   * Check every op's output (and every gradient) for NaN/Inf and throw an
   * error naming the op. Synchronous on backends with `readSync` (cpu); on
   * asynchronous backends the checks queue up and `await flushNumericsChecks()`
   * (or `await t.data()`) rejects with the first failure.
   */
  checkNumerics?: boolean;
}

export interface EngineState {
  backend: Backend | null;
  /** > 0 inside noGrad(): ops record no graph. */
  noGradDepth: number;
  /** Tidy scopes, innermost last: the tensors created inside each. */
  scopes: Tensor[][];
  debug: Required<DebugOptions>;
  /** Live tensor handles (for memory()). */
  liveTensors: number;
  nextTensorId: number;
  pendingChecks: Promise<void>[];
  /** First failed asynchronous numerics check, thrown by the next read. */
  numericsError: Error | null;
  /** The op whose backward is running (named in numerics errors). */
  backwardOp: string | null;
}

export const engine: EngineState = {
  backend: null,
  noGradDepth: 0,
  scopes: [],
  debug: { checkNumerics: false },
  liveTensors: 0,
  nextTensorId: 0,
  pendingChecks: [],
  backwardOp: null,
  numericsError: null,
};

/**
 * Select the compute backend: 'cpu', 'gpujs' or 'webgpu' (created through
 * `createBackend` of @molrl/gpu-backend with `options`), or a ready Backend
 * instance. Tensors live on the backend that created them; mixing backends
 * in one op is an error.
 */
export async function setBackend(backend: string | Backend, options?: BackendOptions): Promise<Backend> {
  const next = typeof backend === 'string' ? await createBackend(backend, options) : backend;
  await next.ready();
  engine.backend = next;
  return next;
}

/** The current backend. Throws if none was set. */
export function getBackend(): Backend {
  if (!engine.backend) throw new Error("no backend: call `await setBackend('cpu')` first");
  return engine.backend;
}

export function gradEnabled(): boolean {
  return engine.noGradDepth === 0;
}

/**
 * Run `fn` without recording a graph (evaluation, optimizer updates, backward
 * itself). Synchronous: an async fn would leave the scope at its first await,
 * so a returned Promise is an error.
 */
export function noGrad<T>(fn: () => T): T {
  engine.noGradDepth++;
  let result: T;
  try {
    result = fn();
  } finally {
    engine.noGradDepth--;
  }
  if (result instanceof Promise)
    throw new Error('noGrad: the function returned a Promise; noGrad is synchronous (wrap only the synchronous part)');
  return result;
}

/** Run `fn` with graph recording on, even inside noGrad(). */
export function enableGrad<T>(fn: () => T): T {
  const saved = engine.noGradDepth;
  engine.noGradDepth = 0;
  let result: T;
  try {
    result = fn();
  } finally {
    engine.noGradDepth = saved;
  }
  if (result instanceof Promise)
    throw new Error('enableGrad: the function returned a Promise; enableGrad is synchronous');
  return result;
}

export function setDebug(options: DebugOptions): void {
  engine.debug = { ...engine.debug, ...options };
}

export function getDebug(): Readonly<Required<DebugOptions>> {
  return engine.debug;
}

/** Await queued numerics checks (asynchronous backends); rejects with the first failure. */
export async function flushNumericsChecks(): Promise<void> {
  while (engine.pendingChecks.length) {
    const pending = engine.pendingChecks;
    engine.pendingChecks = [];
    await Promise.all(pending);
  }
  const error = engine.numericsError;
  if (error) {
    engine.numericsError = null;
    throw error;
  }
}

export interface TensorMemoryInfo extends MemoryInfo {
  /** Live tensor handles in this package (views share storages, so this can exceed `storages`). */
  tensors: number;
}

/** The backend's memory accounting plus the number of live tensor handles. */
export function memory(): TensorMemoryInfo {
  return { ...getBackend().memory(), tensors: engine.liveTensors };
}

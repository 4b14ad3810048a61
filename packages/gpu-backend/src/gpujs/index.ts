import type { BackendOptions } from '../backend.js';
import { checkBackendOptionKeys } from '../backend-options.js';
import { backendError } from '../errors.js';
import { GpujsBackend } from './backend.js';
import { CompiledKernels } from './device-kernel.js';
import { GPUJS_MODES, loadGpujs, probeGpujsMode, type GpujsGPU, type GpujsMode } from './modes.js';
import { registerGpujsKernels } from './register.js';

export { GpujsBackend } from './backend.js';
export { GPUJS_MISSING, GPUJS_MODES, probeGpujsMode, type GpujsMode, type ModeAvailability } from './modes.js';
export { GPUJS_KERNELS, registerGpujsKernels } from './register.js';

export interface GpujsBackendOptions extends BackendOptions {
  /**
   * gpu.js mode. Default 'webasm': it runs in every modern engine and passes
   * the conformance suite. 'gpu' is gpu.js's own choice, which prefers the GL
   * modes where they exist; those are untested here.
   */
  mode?: GpujsMode;
  /**
   * webasm only: run launches of 4096+ outputs on gpu.js's worker pool, one
   * thread per core (gpu.js's async contract; `readSync` is then absent).
   */
  threads?: boolean;
}

/** The options the gpujs backend reads; it refuses any other. */
export const GPUJS_BACKEND_OPTION_NAMES: readonly string[] = ['mode', 'threads'];

interface SharedMode {
  gpu: GpujsGPU;
  kernels: CompiledKernels;
}

/** One gpu.js GPU instance and its compiled kernels per mode (and threading), shared by every backend of that mode. */
const shared = new Map<string, SharedMode>();

/**
 * Create a ready `gpujs` backend. Throws, naming the mode and the reason, where
 * the mode cannot run here (no adapter for webgpu, no headless-gl, ...).
 */
export async function createGpujsBackend(options: GpujsBackendOptions = {}): Promise<GpujsBackend> {
  checkBackendOptionKeys('gpujs', options, GPUJS_BACKEND_OPTION_NAMES);
  registerGpujsKernels();
  const mode = options.mode ?? 'webasm';
  if (!GPUJS_MODES.includes(mode)) {
    throw backendError('gpujs', 'create', `unknown mode '${String(mode)}' (expected one of ${GPUJS_MODES.join(', ')})`);
  }
  if (options.threads !== undefined && typeof options.threads !== 'boolean')
    throw backendError('gpujs', 'create', `options.threads must be a boolean, got ${String(options.threads)}`);
  const threads = options.threads === true;
  if (threads && mode !== 'webasm')
    throw backendError('gpujs', 'create', `the threads option applies to mode 'webasm' only, not '${mode}'`);
  const key = threads ? `${mode}+threads` : mode;
  let entry = shared.get(key);
  if (!entry) {
    const availability = await probeGpujsMode(mode);
    if (!availability.available)
      throw backendError('gpujs', 'create', `mode '${mode}' is not available here: ${availability.reason}`);
    const { GPU } = loadGpujs();
    const gpu = new GPU({ mode });
    entry = { gpu, kernels: new CompiledKernels(gpu, threads) };
    shared.set(key, entry);
  }
  const backend = new GpujsBackend(mode, entry.gpu, entry.kernels, threads);
  await backend.ready();
  return backend;
}

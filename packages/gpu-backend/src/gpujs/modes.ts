import { createRequire } from 'node:module';
import { installNodeWebGPU } from './webgpu-env.js';

/**
 * gpu.js 2.24's modes. `cpu` transpiles a kernel to plain JavaScript; `webasm`
 * compiles it to WebAssembly with f32x4 SIMD; `webgpu` compiles it to a WGSL
 * compute shader (Dawn in Node); `headlessgl`/`webgl2`/`webgl` render it as a
 * fragment shader (headless-gl in Node, a browser canvas elsewhere); `gpu` is
 * gpu.js's own automatic choice (headlessgl -> webgl2 -> webgl -> webasm).
 */
export const GPUJS_MODES = ['cpu', 'webasm', 'webgpu', 'headlessgl', 'webgl2', 'webgl', 'gpu'] as const;
export type GpujsMode = (typeof GPUJS_MODES)[number];

const require = createRequire(import.meta.url);

/** The parts of gpu.js's GPU class this backend uses. */
export interface GpujsGPU {
  readonly mode: string;
  readonly Kernel: { readonly name: string; readonly mode: string };
  createKernel(source: string, settings: Record<string, unknown>): GpujsKernelRunner;
  destroy(): void | Promise<void>;
}

export type GpujsResult = Float32Array | Float32Array[];

/** A compiled gpu.js kernel: callable, resized with setOutput (dynamicOutput kernels). */
export interface GpujsKernelRunner {
  /** A Float32Array, or for Array(4) kernels one 4-element Float32Array per thread. */
  (...args: unknown[]): GpujsResult | Promise<GpujsResult>;
  setOutput(output: number[]): GpujsKernelRunner;
  destroy?(): void;
}

interface GpujsModule {
  GPU: {
    new (settings: { mode: string }): GpujsGPU;
    readonly isHeadlessGLSupported: boolean;
    readonly isWebGLSupported: boolean;
    readonly isWebGL2Supported: boolean;
    readonly isWebAssemblySupported: boolean;
    isWebGPUAvailable(): Promise<boolean>;
  };
}

export const GPUJS_MISSING =
  'the gpujs backend needs gpu.js, an optional peer dependency of @molrl/gpu-backend: npm install gpu.js@^2.24.1. ' +
  'gpu.js pins its own webgpu 0.2.9 (a second Dawn binary, ~85 MB): to share the webgpu 0.4 this package uses, add ' +
  '"overrides": { "webgpu": "^0.4.0" } to your package.json before installing.';

/**
 * gpu.js, loaded on first use: it is an optional peer dependency, so a program that
 * never creates a gpujs backend needs none of it. A missing gpu.js is an error saying
 * what to install; any other failure keeps its cause.
 */
export function loadGpujs(requireModule: (id: string) => unknown = require): GpujsModule {
  try {
    return requireModule('gpu.js') as GpujsModule;
  } catch (cause) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'gpu.js'`))
      throw new Error(`gpujs: ${GPUJS_MISSING}`, { cause });
    throw cause;
  }
}

export interface ModeAvailability {
  mode: GpujsMode;
  available: boolean;
  /** Why the mode cannot run here (absent when it can). */
  reason?: string;
}

/** Whether `mode` can run in this process, and if not, why. Installs Dawn's WebGPU for the webgpu probe. */
export async function probeGpujsMode(mode: GpujsMode): Promise<ModeAvailability> {
  const { GPU } = loadGpujs();
  switch (mode) {
    case 'cpu':
    case 'gpu':
      return { mode, available: true };
    case 'webasm':
      return GPU.isWebAssemblySupported
        ? { mode, available: true }
        : { mode, available: false, reason: 'WebAssembly (with SIMD) is not supported by this JavaScript engine' };
    case 'headlessgl':
      return GPU.isHeadlessGLSupported
        ? { mode, available: true }
        : {
            mode,
            available: false,
            reason:
              "headless-gl is not available (gpu.js's optional 'gl' dependency is not installed or cannot create a context)",
          };
    case 'webgl2':
    case 'webgl':
      return (mode === 'webgl2' ? GPU.isWebGL2Supported : GPU.isWebGLSupported)
        ? { mode, available: true }
        : { mode, available: false, reason: `${mode} needs a browser canvas; use 'headlessgl' in Node` };
    case 'webgpu': {
      const installed = await installNodeWebGPU();
      if (!installed.ok) return { mode, available: false, reason: installed.reason };
      const adapter = await GPU.isWebGPUAvailable();
      return adapter
        ? { mode, available: true }
        : {
            mode,
            available: false,
            reason: 'WebGPU is present but no adapter answered (no GPU and no software Vulkan driver such as lavapipe)',
          };
    }
    default:
      return {
        mode,
        available: false,
        reason: `unknown gpu.js mode '${String(mode)}' (expected one of ${GPUJS_MODES.join(', ')})`,
      };
  }
}

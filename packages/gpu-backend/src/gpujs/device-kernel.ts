import type { GpujsGPU, GpujsKernelRunner } from './modes.js';

/** gpu.js argument types, pinned so a first call with an integral float (eps = 1) cannot type a scalar as i32. */
export type ArgType = 'Array' | 'Float' | 'Integer';

/**
 * A gpu.js kernel: the JavaScript gpu.js transpiles, with its arguments typed.
 * Every kernel here has a 1-D output of `outputSize` threads and indexes its
 * row-major result with `this.thread.x`; shapes arrive as arguments, so one
 * compiled kernel serves every shape (see CompiledKernels).
 */
export interface DeviceKernel {
  /** Unique across the backend: the compiled-kernel cache key. */
  readonly name: string;
  readonly params: ReadonlyArray<readonly [name: string, type: ArgType]>;
  /**
   * Body of the kernel function; returns the value of output element
   * `this.thread.x`, or with `components: 4` the four consecutive elements
   * 4 * this.thread.x ... + 3 as `[a, b, c, d]` (register blocking).
   */
  readonly body: string;
  readonly components: 1 | 4;
}

export function deviceKernel(
  name: string,
  params: DeviceKernel['params'],
  body: string,
  components: 1 | 4 = 1,
): DeviceKernel {
  return { name, params, body, components };
}

export function kernelSource(kernel: DeviceKernel): string {
  return `function ${kernel.name}(${kernel.params.map(([n]) => n).join(', ')}) {\n${kernel.body}\n}`;
}

/** Loop bound for gpu.js's capped loops; the kernels here only write uncapped (literal-init) loops. */
const LOOP_MAX_ITERATIONS = 1 << 30;

/**
 * Compiled gpu.js kernels of one GPU instance. gpu.js compilation (parse,
 * transpile, and for webgpu a WGSL pipeline) costs tens to hundreds of
 * milliseconds, so each kernel compiles once: with `dynamicOutput` and
 * `dynamicArguments` the same compiled kernel runs at every output size and
 * input length, and shapes reach it as scalar and stride arguments. The cache
 * key is therefore the kernel alone, not (kernel, shape). (gpu.js's webasm
 * kernels still build one small module per size signature internally.)
 */
export class CompiledKernels {
  private readonly compiled = new Map<string, GpujsKernelRunner>();

  /**
   * `asyncMode` makes every launch return a Promise; on webasm it also splits
   * launches of 4096+ outputs across gpu.js's worker pool (threads).
   */
  constructor(
    private readonly gpu: GpujsGPU,
    private readonly asyncMode = false,
  ) {}

  get(kernel: DeviceKernel): GpujsKernelRunner {
    let runner = this.compiled.get(kernel.name);
    if (!runner) {
      const argumentTypes: Record<string, ArgType> = {};
      for (const [name, type] of kernel.params) argumentTypes[name] = type;
      runner = this.gpu.createKernel(kernelSource(kernel), {
        output: [1],
        dynamicOutput: true,
        dynamicArguments: true,
        argumentTypes,
        precision: 'single',
        tactic: 'precision',
        loopMaxIterations: LOOP_MAX_ITERATIONS,
        asyncMode: this.asyncMode,
        ...(kernel.components === 4 ? { returnType: 'Array(4)' } : {}),
      });
      this.compiled.set(kernel.name, runner);
    }
    return runner;
  }

  get size(): number {
    return this.compiled.size;
  }

  destroy(): void {
    for (const runner of this.compiled.values()) runner.destroy?.();
    this.compiled.clear();
  }
}

/**
 * The compute backend of a run: `cpu`, `webgpu`, `gpujs` (gpu.js in its
 * default mode) or `gpujs:<mode>` (`gpujs:cpu`, `gpujs:webasm`,
 * `gpujs:webgpu`). The pipeline makes it current before a phase loads a
 * model, and keeps one instance per choice for the whole process: a GPU
 * device is opened once, not once per phase.
 */
import { setBackend } from '@molrl/tensor';

export const BACKEND_NAMES = ['cpu', 'webgpu', 'gpujs'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The gpu.js modes a run may name (the others need a browser or headless-gl). */
export const GPUJS_RUN_MODES = ['cpu', 'webasm', 'webgpu'] as const;

/** Every value `backend` (and `--backend`) accepts. */
export const BACKEND_CHOICES: readonly string[] = [...BACKEND_NAMES, ...GPUJS_RUN_MODES.map((m) => `gpujs:${m}`)];

export interface ParsedBackend {
  name: BackendName;
  /** Options for `createBackend` (gpu.js's mode). */
  options?: { mode: string };
}

/** Why `value` is not a backend choice, or null when it is one. */
export function backendProblem(value: unknown): string | null {
  return typeof value === 'string' && BACKEND_CHOICES.includes(value)
    ? null
    : `must be one of ${BACKEND_CHOICES.map((c) => `'${c}'`).join(', ')}`;
}

/** `gpujs:cpu` -> { name: 'gpujs', options: { mode: 'cpu' } }; an unknown value is an error naming `where`. */
export function parseBackend(value: string, where = 'backend'): ParsedBackend {
  const problem = backendProblem(value);
  if (problem) throw new Error(`${where} ${problem}, got ${JSON.stringify(value)}`);
  const [name, mode] = value.split(':') as [BackendName, string | undefined];
  return mode ? { name, options: { mode } } : { name };
}

type BackendInstance = Awaited<ReturnType<typeof setBackend>>;

const opened = new Map<string, Promise<BackendInstance>>();

/**
 * Make the backend `choice` current (creating it the first time it is asked
 * for in this process) and return it. A backend that cannot start here (no
 * WebGPU adapter, gpu.js not installed) is an error naming the choice and why.
 */
export async function useBackend(choice: string, where = 'backend'): Promise<BackendInstance> {
  const { name, options } = parseBackend(choice, where);
  let pending = opened.get(choice);
  if (!pending) {
    pending = setBackend(name, options);
    opened.set(choice, pending);
    // A failed start is not kept: the next call tries again.
    pending.catch(() => opened.delete(choice));
  }
  let backend: BackendInstance;
  try {
    backend = await pending;
  } catch (cause) {
    throw new Error(`${where} '${choice}' cannot start here: ${(cause as Error).message}`, { cause });
  }
  return setBackend(backend);
}

import type { KernelFunc } from './backend.js';
import { KERNEL_NAMES } from './kernel-spec.js';

export interface KernelConfig {
  /** Kernel name, one of KERNEL_NAMES or a backend-specific extra. */
  name: string;
  /** Backend name ('cpu', 'gpujs', 'webgpu', ...). */
  backend: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of kernels with different attrs types
  kernel: KernelFunc<any>;
}

export interface UnsupportedKernel {
  name: string;
  backend: string;
  /** Why the backend lacks it; shown to the caller. */
  reason: string;
}

const kernels = new Map<string, KernelConfig>();
const unsupported = new Map<string, UnsupportedKernel>();

const key = (name: string, backend: string) => `${backend}\u0000${name}`;

/** Register a kernel. Registering the same (name, backend) twice is an error. */
export function registerKernel(config: KernelConfig): void {
  const k = key(config.name, config.backend);
  if (kernels.has(k)) {
    throw new Error(`kernel '${config.name}' is already registered for backend '${config.backend}'`);
  }
  kernels.set(k, config);
}

/**
 * Register a backend's kernel table, by contract name. A (name, backend) pair
 * already registered is left as it is, so a kernel registered beforehand (a
 * replacement under development) wins and registering twice is harmless.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of kernels with different attrs types
export function registerKernelTable(backend: string, table: Readonly<Record<string, KernelFunc<any>>>): void {
  for (const [name, kernel] of Object.entries(table)) {
    if (!hasKernel(name, backend)) registerKernel({ name, backend, kernel });
  }
}

/** Remove a registration (tests and hot-swapping a kernel during development). */
export function unregisterKernel(name: string, backend: string): void {
  kernels.delete(key(name, backend));
}

/**
 * Record that `backend` deliberately lacks kernel `name`. The conformance suite
 * accepts a missing kernel only when it is declared here.
 */
export function declareUnsupported(entry: UnsupportedKernel): void {
  unsupported.set(key(entry.name, entry.backend), entry);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of kernels with different attrs types
export function getKernel(name: string, backend: string): KernelFunc<any> {
  const config = kernels.get(key(name, backend));
  if (config) return config.kernel;
  const missing = unsupported.get(key(name, backend));
  if (missing) {
    throw new Error(`kernel '${name}' is not supported by backend '${backend}': ${missing.reason}`);
  }
  const known = KERNEL_NAMES.includes(name) ? '' : ` ('${name}' is not a kernel of the contract either)`;
  throw new Error(`kernel '${name}' is not registered for backend '${backend}'${known}`);
}

export function hasKernel(name: string, backend: string): boolean {
  return kernels.has(key(name, backend));
}

/** Names of the kernels registered for `backend`, sorted. */
export function listKernels(backend: string): string[] {
  const names: string[] = [];
  for (const config of kernels.values()) if (config.backend === backend) names.push(config.name);
  return names.sort();
}

/** Kernels `backend` declares unsupported, with reasons. */
export function listUnsupported(backend: string): UnsupportedKernel[] {
  return [...unsupported.values()].filter((u) => u.backend === backend);
}

import type { Backend, BackendFactory, BackendOptions } from './backend.js';

/**
 * Backends by name. The built-in ones load on first use through dynamic
 * import, so a program that only uses 'cpu' never loads gpu.js or Dawn.
 */

interface BuiltinModule {
  [factory: string]: unknown;
}

// Literal dynamic imports: bundlers split each backend into its own chunk,
// loaded only when createBackend asks for it.
const BUILTINS: Record<string, { load: () => Promise<BuiltinModule>; factory: string }> = {
  cpu: { load: () => import('./cpu/index.js'), factory: 'createCpuBackend' },
  gpujs: { load: () => import('./gpujs/index.js'), factory: 'createGpujsBackend' },
  webgpu: { load: () => import('./webgpu/index.js'), factory: 'createWebgpuBackend' },
};

const factories = new Map<string, BackendFactory>();

/** Register (or replace) a backend factory under `name`. */
export function registerBackend(name: string, factory: BackendFactory): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new Error('registerBackend: name must be a non-empty string');
  if (typeof factory !== 'function') throw new Error(`registerBackend('${name}'): factory must be a function`);
  factories.set(name, factory);
}

/** Names of every backend that createBackend accepts: built-ins and registered ones. */
export function listBackends(): string[] {
  return [...new Set([...Object.keys(BUILTINS), ...factories.keys()])].sort();
}

/** Create a backend by name and wait until it is ready. */
export async function createBackend(name: string, options?: BackendOptions): Promise<Backend> {
  let factory = factories.get(name);
  if (!factory) {
    const builtin = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
    if (!builtin) throw new Error(`unknown backend '${name}' (known backends: ${listBackends().join(', ')})`);
    let module: BuiltinModule;
    try {
      module = await builtin.load();
    } catch (cause) {
      throw new Error(`backend '${name}' could not be loaded: ${(cause as Error).message}`, { cause });
    }
    const loaded = module[builtin.factory];
    if (typeof loaded !== 'function')
      throw new Error(`backend '${name}': its module does not export ${builtin.factory}()`);
    factory = loaded as BackendFactory;
  }
  const backend = await factory(options);
  await backend.ready();
  return backend;
}

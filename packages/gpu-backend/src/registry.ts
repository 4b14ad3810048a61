/**
 * Kernels by (name, backend). There is one way in: `registerKernels` with
 * implementations made by `implement(contract, backend, run)`. The library's
 * backends register theirs when they are created; a kernel of the library can
 * be replaced only explicitly (`{ replace: true }`), so an application's
 * kernel never silently shadows the library's, nor the reverse.
 */
import type { KernelArgs, KernelFunc, KernelResult, TensorInfo } from './backend.js';
import { checkCall, type ContractAttrs, type KernelContract } from './contract/kernel-contract.js';
import { KERNEL_CONTRACTS } from './kernels/contracts.js';

/** One kernel on one backend: its contract and the function that enqueues it. */
export interface KernelImplementation<C extends KernelContract = KernelContract> {
  readonly contract: C;
  readonly backend: string;
  /** Validates shapes, enqueues the work, returns the outputs (none for an in-place kernel). */
  run(args: KernelArgs<ContractAttrs<C>>): KernelResult;
}

export interface RegisterOptions {
  /** Replace an implementation registered before (the library's included) instead of failing. */
  replace?: boolean;
}

export interface UnsupportedKernel {
  name: string;
  backend: string;
  /** Why the backend lacks it; shown to the caller. */
  reason: string;
}

/** The backends whose kernels the library provides (they register them when created). */
export const LIBRARY_BACKENDS: readonly string[] = ['cpu', 'gpujs', 'webgpu'];

interface Entry {
  implementation: KernelImplementation;
  /** Registered by the library's backend (not by an application). */
  library: boolean;
}

const contracts = new Map<string, KernelContract>(KERNEL_CONTRACTS.map((c) => [c.name, c]));
const libraryNames = new Set<string>(KERNEL_CONTRACTS.map((c) => c.name));
const kernels = new Map<string, Entry>();
const unsupported = new Map<string, UnsupportedKernel>();

const key = (name: string, backend: string) => `${backend}\u0000${name}`;

/** An implementation of `contract` on `backend`; `run` gets the contract's attrs type. */
export function implement<C extends KernelContract>(
  contract: C,
  backend: string,
  run: KernelFunc<ContractAttrs<C>>,
): KernelImplementation<C> {
  if (typeof backend !== 'string' || backend.length === 0) {
    throw new Error(`implement('${contract.name}'): backend must be a non-empty string`);
  }
  if (typeof run !== 'function') throw new Error(`implement('${contract.name}', '${backend}'): run must be a function`);
  return { contract, backend, run };
}

/**
 * Register implementations. A kernel the library does not have brings its
 * contract along (the first registration defines it; a different contract
 * under the same name is an error). Registering a (kernel, backend) pair that
 * is already registered, or a kernel of the library on one of the library's
 * backends, fails unless `replace` is set.
 */
export function registerKernels(implementations: readonly KernelImplementation[], options: RegisterOptions = {}): void {
  // Check everything first: a failing batch registers nothing.
  for (const impl of implementations) checkRegistration(impl, options);
  for (const impl of implementations) {
    contracts.set(impl.contract.name, contracts.get(impl.contract.name) ?? impl.contract);
    kernels.set(key(impl.contract.name, impl.backend), { implementation: impl, library: false });
  }
}

/** `registerKernels([implementation], options)`. */
export function registerKernel(implementation: KernelImplementation, options: RegisterOptions = {}): void {
  registerKernels([implementation], options);
}

function checkRegistration(impl: KernelImplementation, options: RegisterOptions): void {
  const { contract, backend } = impl;
  const name = contract?.name;
  if (typeof name !== 'string' || typeof impl.run !== 'function' || typeof backend !== 'string') {
    throw new Error('registerKernels: expected implementations made by implement(contract, backend, run)');
  }
  const known = contracts.get(name);
  if (known && known !== contract) {
    const whose = isLibraryKernel(name) ? 'the library' : 'an earlier registration';
    throw new Error(
      `kernel '${name}' is already defined by ${whose} with another contract; implement that contract (getKernelContract('${name}')) or choose another name`,
    );
  }
  if (options.replace) return;
  const existing = kernels.get(key(name, backend));
  if (existing) {
    throw new Error(
      `kernel '${name}' is already registered for backend '${backend}'${existing.library ? ' by the library' : ''}; pass { replace: true } to replace it`,
    );
  }
  if (isLibraryKernel(name) && LIBRARY_BACKENDS.includes(backend)) {
    throw new Error(
      `kernel '${name}' is a kernel of the library, which implements it on backend '${backend}'; pass { replace: true } to use yours instead`,
    );
  }
}

/**
 * Register a library backend's own kernels (idempotent). An implementation an
 * application registered with `replace` stays in place.
 */
export function registerLibraryKernels(implementations: readonly KernelImplementation[]): void {
  for (const impl of implementations) {
    const k = key(impl.contract.name, impl.backend);
    if (!kernels.has(k)) kernels.set(k, { implementation: impl, library: true });
  }
}

/** Remove a registration (tests, and swapping a kernel during development). */
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

/** The implementation's function (`run` validates the call before calling it). */
export function getKernel(name: string, backend: string): KernelFunc {
  return lookup(name, backend).implementation.run as KernelFunc;
}

function lookup(name: string, backend: string): Entry {
  const entry = kernels.get(key(name, backend));
  if (entry) return entry;
  const missing = unsupported.get(key(name, backend));
  if (missing) {
    throw new Error(`kernel '${name}' is not supported by backend '${backend}': ${missing.reason}`);
  }
  const known = contracts.has(name) ? '' : ` ('${name}' is not a kernel of the contract either)`;
  throw new Error(`kernel '${name}' is not registered for backend '${backend}'${known}`);
}

/**
 * What every backend's `run` does first: find the implementation, check the
 * call against the kernel's contract (input count, int32 inputs, attrs) and
 * return the function to call with the attrs to pass.
 */
export function prepareRun(
  backend: string,
  name: string,
  inputs: readonly TensorInfo[],
  attrs: unknown,
): { kernel: KernelFunc; attrs: Record<string, unknown> } {
  const entry = lookup(name, backend);
  const given = attrs ?? {};
  checkCall(entry.implementation.contract, inputs, given);
  return { kernel: entry.implementation.run as KernelFunc, attrs: given as Record<string, unknown> };
}

export function hasKernel(name: string, backend: string): boolean {
  return kernels.has(key(name, backend));
}

/** Names of the kernels registered for `backend`, sorted. */
export function listKernels(backend: string): string[] {
  const names: string[] = [];
  for (const entry of kernels.values())
    if (entry.implementation.backend === backend) names.push(entry.implementation.contract.name);
  return names.sort();
}

/** Kernels `backend` declares unsupported, with reasons. */
export function listUnsupported(backend: string): UnsupportedKernel[] {
  return [...unsupported.values()].filter((u) => u.backend === backend);
}

/** The contract of a kernel of the library, or of one registered from outside it. */
export function getKernelContract(name: string): KernelContract | undefined {
  return contracts.get(name);
}

export function isLibraryKernel(name: string): boolean {
  return libraryNames.has(name);
}

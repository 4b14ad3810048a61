import { describeValue, SandboxConfigError } from './errors.js';
import type { Limits } from './types.js';

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  timeoutMs: 5_000,
  cpuMs: 5_000,
  memoryMb: 128,
  outputBytes: 64 * 1024,
  resultBytes: 64 * 1024,
});

const BOUNDS: Record<keyof Limits, [min: number, max: number]> = {
  timeoutMs: [1, 10 * 60_000],
  cpuMs: [1, 10 * 60_000],
  // isolated-vm refuses isolates under 8 MiB; Pyodide's WebAssembly heap is 4 GiB at most.
  memoryMb: [8, 4096],
  outputBytes: [0, 64 * 2 ** 20],
  resultBytes: [0, 64 * 2 ** 20],
};

/** Merge limit overrides over a base, checking every field; `where` prefixes option names in errors. */
export function resolveLimits(base: Readonly<Limits>, overrides: Partial<Limits> | undefined, where: string): Limits {
  if (overrides === undefined) return { ...base };
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new SandboxConfigError(where, `expected an object, got ${describeValue(overrides)}`);
  }
  const merged: Limits = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in BOUNDS)) {
      throw new SandboxConfigError(`${where}.${key}`, `unknown limit (known: ${Object.keys(BOUNDS).join(', ')})`);
    }
    if (value === undefined) continue;
    const [min, max] = BOUNDS[key as keyof Limits];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new SandboxConfigError(`${where}.${key}`, `expected a number in [${min}, ${max}], got ${String(value)}`);
    }
    merged[key as keyof Limits] = value;
  }
  return merged;
}

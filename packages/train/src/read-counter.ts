/**
 * A backend wrapper that counts device reads: every `read`, `readRaw`,
 * `readInto` and `readSync` is a point where the host waits for the device (on a GPU, a
 * pipeline stall). For tests and profiling of step loops.
 */
import type { getBackend } from '@molrl/tensor';

type Backend = ReturnType<typeof getBackend>;

export interface ReadCounter {
  /** The wrapped backend: pass it to `setBackend`. */
  backend: Backend;
  /** Reads since the wrapper was made (or last reset). */
  readonly reads: number;
  /** Elements those reads brought back (the storages' sizes). */
  readonly elementsRead: number;
  reset(): void;
}

export function countReads(backend: Backend): ReadCounter {
  let reads = 0;
  let elementsRead = 0;
  const counted = new Set(['read', 'readRaw', 'readInto', 'readSync']);
  const wrapped = new Proxy(backend, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !counted.has(key) || typeof value !== 'function') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (...args: unknown[]) => {
        reads++;
        elementsRead += (args[0] as { size?: number } | undefined)?.size ?? 0;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    backend: wrapped,
    get reads() {
      return reads;
    },
    get elementsRead() {
      return elementsRead;
    },
    reset() {
      reads = 0;
      elementsRead = 0;
    },
  };
}

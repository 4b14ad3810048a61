import type { BType } from './sgemm.js';

/** How B is stored, as the addon numbers it. */
const B_TYPES: Record<BType, number> = { float32: 0, bfloat16: 1, float16: 2 };

/** A boolean option of `fn` as the addon's 0 or 1 (`fallback` when absent); anything else names the option. */
export function flag(fn: string, name: string, value: unknown, fallback = false): 0 | 1 {
  if (value === undefined) return fallback ? 1 : 0;
  if (value === false) return 0;
  if (value === true) return 1;
  throw new TypeError(`${fn}: ${name} must be a boolean, got ${String(value)}`);
}

/** `fn`'s bType (default 'float32') as the addon's number; an unknown one is an error naming the three. */
export function bTypeCode(fn: string, bType: BType | undefined): number {
  const code = B_TYPES[bType ?? 'float32'];
  if (code === undefined)
    throw new TypeError(`${fn}: bType must be 'float32', 'bfloat16' or 'float16', got ${String(bType)}`);
  return code;
}

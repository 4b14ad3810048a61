import { describe, expect, it } from 'vitest';
import { SandboxConfigError } from './errors.js';
import { DEFAULT_LIMITS, resolveLimits } from './limits.js';

describe('resolveLimits', () => {
  it('merges overrides over the base', () => {
    expect(resolveLimits(DEFAULT_LIMITS, { timeoutMs: 100 }, 'limits')).toEqual({ ...DEFAULT_LIMITS, timeoutMs: 100 });
    expect(resolveLimits(DEFAULT_LIMITS, undefined, 'limits')).toEqual(DEFAULT_LIMITS);
  });

  it('names the bad option', () => {
    expect(() => resolveLimits(DEFAULT_LIMITS, { timeoutMs: -1 }, 'limits')).toThrow(/`limits\.timeoutMs`.*got -1/);
    expect(() => resolveLimits(DEFAULT_LIMITS, { memoryMb: 2 }, 'request.limits')).toThrow(
      /`request\.limits\.memoryMb`/,
    );
    expect(() => resolveLimits(DEFAULT_LIMITS, { timeout: 5 } as never, 'limits')).toThrow(
      /`limits\.timeout`: unknown limit/,
    );
    expect(() => resolveLimits(DEFAULT_LIMITS, 'fast' as never, 'limits')).toThrow(SandboxConfigError);
    expect(() => resolveLimits(DEFAULT_LIMITS, [5000] as never, 'limits')).toThrow(
      /`limits`: expected an object, got an array/,
    );
  });
});

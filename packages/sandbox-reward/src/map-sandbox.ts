import { describeValue, SandboxConfigError } from './errors.js';
import type { Sandbox } from './sandbox.js';
import type { RunRecord, RunRequest } from './types.js';

/** What a wrapping sandbox changes on the way in and out; both default to leaving it as it is. */
export interface SandboxMapping {
  /** Each request before the wrapped sandbox runs it (e.g. code prepended or appended). */
  request?: (request: RunRequest) => RunRequest;
  /** Each record before the caller sees it (e.g. error lines renumbered). */
  record?: (record: RunRecord) => RunRecord;
}

/**
 * A sandbox that runs through `sandbox`, each request and record passed through
 * `mapping`; everything else (readiness, workers, limits, close) is the wrapped
 * sandbox's, and closing this one closes it.
 */
export function mapSandbox(sandbox: Sandbox, mapping: SandboxMapping): Sandbox {
  if (sandbox === null || typeof sandbox !== 'object' || typeof sandbox.run !== 'function') {
    throw new SandboxConfigError(
      'sandbox',
      `mapSandbox needs a sandbox from createSandbox(), got ${describeValue(sandbox)}`,
    );
  }
  if (mapping === null || typeof mapping !== 'object' || Array.isArray(mapping)) {
    throw new SandboxConfigError('mapping', `expected an object { request?, record? }, got ${describeValue(mapping)}`);
  }
  for (const [key, value] of Object.entries(mapping)) {
    if (key !== 'request' && key !== 'record') {
      throw new SandboxConfigError(`mapping.${key}`, 'unknown mapSandbox field (known: request, record)');
    }
    if (value !== undefined && typeof value !== 'function') {
      throw new SandboxConfigError(`mapping.${key}`, `expected a function, got ${describeValue(value)}`);
    }
  }
  const request = mapping.request ?? ((r: RunRequest) => r);
  const record = mapping.record ?? ((r: RunRecord) => r);
  return {
    run: async (r) => record(await sandbox.run(request(r))),
    runMany: async (rs) => (await sandbox.runMany(rs.map((r) => request(r)))).map((r) => record(r)),
    ready: () => sandbox.ready(),
    close: () => sandbox.close(),
    get workers() {
      return sandbox.workers;
    },
    get limits() {
      return sandbox.limits;
    },
  };
}

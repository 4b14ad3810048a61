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

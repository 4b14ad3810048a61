import { describe, expect, it } from 'vitest';
import { SandboxConfigError } from './errors.js';
import { mapSandbox } from './map-sandbox.js';
import type { Sandbox } from './sandbox.js';
import type { RunRecord, RunRequest } from './types.js';

/** A sandbox that records what it was asked and answers with the code it got as stdout. */
function echoSandbox(): Sandbox & { seen: RunRequest[]; closed: boolean } {
  const answer = (r: RunRequest) => ({ status: 'ok', stdout: r.code, stderr: '' }) as unknown as RunRecord;
  const s = {
    seen: [] as RunRequest[],
    closed: false,
    run: (r: RunRequest) => (s.seen.push(r), Promise.resolve(answer(r))),
    runMany: (rs: readonly RunRequest[]) => (s.seen.push(...rs), Promise.resolve(rs.map(answer))),
    ready: () => Promise.resolve(),
    close: () => ((s.closed = true), Promise.resolve()),
    workers: 3,
    limits: { timeoutMs: 5 } as Sandbox['limits'],
  };
  return s;
}

describe('mapSandbox', () => {
  it('passes every request and record through the mapping, in order, for run and runMany', async () => {
    const inner = echoSandbox();
    const outer = mapSandbox(inner, {
      request: (r) => ({ ...r, code: `pre;${r.code}` }),
      record: (r) => ({ ...r, stdout: `${r.stdout};post` }),
    });
    expect((await outer.run({ language: 'python', code: 'a' })).stdout).toBe('pre;a;post');
    const many = await outer.runMany([
      { language: 'python', code: 'b' },
      { language: 'javascript', code: 'c' },
    ]);
    expect(many.map((r) => r.stdout)).toEqual(['pre;b;post', 'pre;c;post']);
    expect(inner.seen.map((r) => r.code)).toEqual(['pre;a', 'pre;b', 'pre;c']);
  });

  it('leaves what it is not given to map alone, and is the wrapped sandbox for the rest', async () => {
    const inner = echoSandbox();
    const outer = mapSandbox(inner, {});
    expect((await outer.run({ language: 'python', code: 'x' })).stdout).toBe('x');
    expect(outer.workers).toBe(3);
    expect(outer.limits).toBe(inner.limits);
    await outer.ready();
    await outer.close();
    expect(inner.closed).toBe(true);
  });

  it('refuses a sandbox or mapping it cannot use, naming the field, when it is made', () => {
    const inner = echoSandbox();
    // A misspelt field was ignored: the sandbox ran the requests unmapped.
    expect(() => mapSandbox(inner, { requests: (r: RunRequest) => r } as never)).toThrow(
      /`mapping\.requests`: unknown mapSandbox field \(known: request, record\)/,
    );
    // A mapping that is not a function failed at the first run, as "request is not a function".
    expect(() => mapSandbox(inner, { record: 'shift' } as never)).toThrow(
      /`mapping\.record`: expected a function, got "shift"/,
    );
    expect(() => mapSandbox(inner, null as never)).toThrow(
      /`mapping`: expected an object \{ request\?, record\? \}, got null/,
    );
    expect(() => mapSandbox(undefined as never, {})).toThrow(SandboxConfigError);
    expect(() => mapSandbox({} as never, {})).toThrow(
      /`sandbox`: mapSandbox needs a sandbox from createSandbox\(\), got object/,
    );
    expect(() => mapSandbox(inner, { request: undefined })).not.toThrow();
  });
});

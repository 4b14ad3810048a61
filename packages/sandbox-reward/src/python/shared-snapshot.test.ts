/**
 * The process-wide interpreter snapshot when the sandbox whose worker was
 * making it closes first: the sandbox waiting for it still gets ready (without
 * a standby), the next worker started makes the snapshot, and the workers
 * after that start from it. (A file of its own: it needs a process in which
 * no snapshot exists yet.)
 */
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../sandbox.js';
import { pythonWorkerStarts, pyodideDir, sharedSnapshot } from './python-process.js';

describe('the shared snapshot', () => {
  it('outlives a sandbox closed while its worker was making it', { timeout: 240_000 }, async () => {
    const snapshot = sharedSnapshot(pyodideDir());
    expect(sharedSnapshot(pyodideDir())).toBe(snapshot);
    expect(snapshot.bytes).toBeUndefined();
    const first = await createSandbox({ workers: 1, snapshotCache: false });
    expect(snapshot.requested).toBe(true);
    const waiting = await createSandbox({ workers: 1, snapshotCache: false });
    await first.close();
    await waiting.ready();
    expect(snapshot.bytes).toBeUndefined();
    expect(snapshot.requested).toBe(false);
    const ran = await waiting.run({ language: 'python', code: 'x = 2 ** 10', resultVariable: 'x' });
    expect([ran.status, ran.result]).toEqual(['ok', 1024]);
    await waiting.close();

    const maker = await createSandbox({ workers: 1, pythonStandby: false, snapshotCache: false });
    await maker.ready();
    expect(snapshot.bytes).toBeInstanceOf(Uint8Array);
    await maker.close();
    const before = pythonWorkerStarts();
    const later = await createSandbox({ workers: 1, snapshotCache: false });
    await later.ready();
    const again = await later.run({ language: 'python', code: 'x = sum(range(5))', resultVariable: 'x' });
    expect([again.status, again.result]).toEqual(['ok', 10]);
    await later.close();
    const after = pythonWorkerStarts();
    expect(after.fromSnapshot - before.fromSnapshot).toBe(2);
    expect(after.full).toBe(before.full);
  });
});

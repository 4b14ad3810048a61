import { existsSync, mkdirSync, mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withDownloadLock } from './download-lock.js';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'hub-lock-')), '.locks', 'models--org--m', 'etag.lockdir');

describe('withDownloadLock', () => {
  it('runs one holder at a time and tells a waiter that it waits', async () => {
    const lock = lockIn();
    const order: string[] = [];
    let waits = 0;
    const hold = (name: string, ms: number) =>
      withDownloadLock(
        lock,
        async () => {
          order.push(`${name} in`);
          await new Promise((r) => setTimeout(r, ms));
          order.push(`${name} out`);
          return name;
        },
        { onWait: () => waits++ },
      );
    const first = hold('a', 200);
    await new Promise((r) => setTimeout(r, 20));
    expect(await Promise.all([first, hold('b', 10)])).toEqual(['a', 'b']);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(waits).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('releases the lock when the task fails', async () => {
    const lock = lockIn();
    await expect(withDownloadLock(lock, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
    expect(await withDownloadLock(lock, async () => 7)).toBe(7);
  });

  it('takes over a lock its holder abandoned (a process that crashed)', async () => {
    const lock = lockIn();
    mkdirSync(lock, { recursive: true });
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lock, longAgo, longAgo);
    let waited = false;
    expect(await withDownloadLock(lock, async () => 'taken', { staleMs: 5_000, onWait: () => (waited = true) })).toBe(
      'taken',
    );
    expect(waited).toBe(false);
  });
});

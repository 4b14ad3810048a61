/**
 * The run-folder lock on a file system without hard links (FAT, some network
 * shares), where `link` fails with EPERM: it is made by an exclusive create.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LOCK_FILE, lockRunFolder } from './run-lock.js';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const linkSync = () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  };
  return { ...fs, default: { ...fs, linkSync }, linkSync };
});

describe('lockRunFolder without hard links', () => {
  it('takes, refuses, takes over and releases the lock all the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'molrl-lock-nolink-'));
    const file = join(dir, LOCK_FILE);
    const lock = lockRunFolder(dir);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    expect(() => lockRunFolder(dir)).toThrow(`the run folder is in use by process ${process.pid}`);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);

    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 1, host: hostname(), command: 'molrl run', started: 'x' }));
    const again = lockRunFolder(dir);
    expect(again.tookOverFrom?.pid).toBe(2 ** 22 + 1);
    again.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names a lock file left empty, once it has waited for it to be written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'molrl-lock-nolink-'));
    writeFileSync(join(dir, LOCK_FILE), '');
    expect(() => lockRunFolder(dir)).toThrow(
      `${dir}: the run folder is locked by an empty ${join(dir, LOCK_FILE)}; if no molrl command runs there, delete it`,
    );
  });
});

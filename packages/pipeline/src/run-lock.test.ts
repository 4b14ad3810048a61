import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { LOCK_FILE, lockRunFolder } from './run-lock.js';

const folder = () => mkdtempSync(join(tmpdir(), 'molrl-lock-'));

/** The id of a process that has exited (its lock is stale). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('lockRunFolder', () => {
  it('holds the folder until released, naming its holder to a second taker', () => {
    const dir = folder();
    const lock = lockRunFolder(dir);
    const holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => lockRunFolder(dir)).toThrow(ConfigError);
    expect(() => lockRunFolder(dir)).toThrow(
      new RegExp(`^${dir}: the run folder is in use by process ${process.pid} on .* since .*; wait for it to finish`),
    );
    lock.release();
    lock.release(); // once is enough; twice is harmless
    expect(readdirSync(dir)).toEqual([]);
    const again = lockRunFolder(dir, 'ablation folder');
    expect(again.tookOverFrom).toBeNull();
    again.release();
  });

  it('takes over the lock of a process that is gone, and leaves no temporaries', () => {
    const dir = folder();
    const pid = deadPid();
    const stale = { pid, host: hostname(), command: 'molrl run', started: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
    const lock = lockRunFolder(dir);
    expect(lock.tookOverFrom).toEqual(stale);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('takes over a lock whose id is reused: this process not holding it, or a process newer than the lock', async () => {
    const dir = folder();
    const file = join(dir, LOCK_FILE);
    // A container restarted: the lock names this very process id, which does not hold it.
    writeFileSync(file, JSON.stringify({ pid: process.pid, host: hostname(), command: 'molrl run', started: 'x' }));
    const mine = lockRunFolder(dir);
    expect(mine.tookOverFrom?.pid).toBe(process.pid);
    mine.release();
    // A live process that started after the lock was taken is not its holder; one that started before may be.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const holder = { pid: child.pid!, host: hostname(), command: 'molrl run' };
      writeFileSync(file, JSON.stringify({ ...holder, started: '2020-01-01T00:00:00.000Z' }));
      const newer = lockRunFolder(dir);
      expect(newer.tookOverFrom?.pid).toBe(child.pid);
      newer.release();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      writeFileSync(file, JSON.stringify({ ...holder, started: new Date().toISOString() }));
      expect(() => lockRunFolder(dir)).toThrow(`the run folder is in use by process ${child.pid}`);
    } finally {
      child.kill();
    }
  });

  it('refuses a lock from another host or one it cannot read, saying how to clear it', () => {
    const dir = folder();
    const file = join(dir, LOCK_FILE);
    writeFileSync(file, JSON.stringify({ pid: 1, host: 'elsewhere', command: 'molrl mol', started: 'x' }));
    expect(() => lockRunFolder(dir)).toThrow(
      `${dir}: the run folder is in use by process 1 on elsewhere since x (molrl mol); if no such process is running, delete ${file}`,
    );
    // Not JSON, or JSON that names no holder (the latter once read as "no lock" and retried for ever).
    for (const text of ['not json', '{}', '5', 'null', '{"pid": "12", "host": "here"}']) {
      writeFileSync(file, text);
      expect(() => lockRunFolder(dir), text).toThrow(`(${file} is not a lock this version reads); if no such process`);
    }
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
  });

  it('release leaves a lock that is not its own (the user cleared it and another run took the folder)', () => {
    const dir = folder();
    const lock = lockRunFolder(dir);
    const other = { pid: 1, host: 'elsewhere', command: 'molrl run', started: 'y' };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(other));
    lock.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual(other);
  });

  it('is released when the process exits without releasing it', () => {
    const dir = folder();
    const source = join(import.meta.dirname, 'run-lock.ts');
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { lockRunFolder } = await import(${JSON.stringify(source)}); lockRunFolder(${JSON.stringify(dir)}); process.exit(3);`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(3);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

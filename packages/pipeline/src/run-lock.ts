/**
 * One process at a time in a run folder: two writing one folder would
 * interleave checkpoints, metrics and state.json. The lock is a file,
 * `<dir>/.lock`, naming its holder (process id, host, command); it is made
 * whole under a temporary name and linked into place, so its creation is
 * atomic and a reader never sees it half-written. A lock whose process is
 * gone (killed, crashed) is taken over; one held from another host, which
 * cannot be checked, is an error that says how to clear it.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';

export const LOCK_FILE = '.lock';

/** Who holds a run folder. */
export interface RunLockHolder {
  pid: number;
  host: string;
  command: string;
  started: string;
}

export interface RunLock {
  /** The lock file. */
  readonly file: string;
  /** A lock taken over from a process that had stopped without releasing it, or null. */
  readonly tookOverFrom: RunLockHolder | null;
  /** Remove the lock (once; also done when the process exits). */
  release(): void;
}

let sequence = 0;

/** Whether process `pid` runs on this host (EPERM: it runs, under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): RunLockHolder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunLockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string') {
      return { pid: h.pid, host: h.host, command: String(h.command ?? ''), started: String(h.started ?? '') };
    }
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { pid: -1, host: '?', command: '', started: '' };
  }
}

function describe(h: RunLockHolder): string {
  return `process ${h.pid} on ${h.host}${h.started ? ` since ${h.started}` : ''}${h.command ? ` (${h.command})` : ''}`;
}

/**
 * Take `dir`'s lock (the folder must exist), or throw a ConfigError naming the
 * process that holds it. `what` names the folder in messages.
 */
export function lockRunFolder(dir: string, what = 'run folder'): RunLock {
  const file = join(dir, LOCK_FILE);
  const me: RunLockHolder = {
    pid: process.pid,
    host: hostname(),
    command: ['molrl', ...process.argv.slice(2)].join(' '),
    started: new Date().toISOString(),
  };
  const text = JSON.stringify(me) + '\n';
  let tookOverFrom: RunLockHolder | null = null;
  for (let attempt = 0; ; attempt++) {
    const pending = join(dir, `${LOCK_FILE}.tmp-${process.pid}-${sequence++}`);
    writeFileSync(pending, text);
    try {
      linkSync(pending, file);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(pending);
    }
    const holder = readHolder(file);
    if (holder === null) continue; // released between the two calls
    const clear = `if no such process is running, delete ${file}`;
    if (holder.pid === -1)
      throw new ConfigError(`${dir}: the ${what} is locked (${file} is not a lock this version reads); ${clear}`);
    if (holder.host !== me.host)
      throw new ConfigError(`${dir}: the ${what} is in use by ${describe(holder)}; ${clear}`);
    if (isAlive(holder.pid))
      throw new ConfigError(
        `${dir}: the ${what} is in use by ${describe(holder)}; wait for it to finish or stop it (Ctrl-C or kill ${holder.pid}), or use another --out`,
      );
    if (attempt > 3) throw new ConfigError(`${dir}: cannot take the ${what}'s lock ${file} (it keeps changing)`);
    // Its process is gone: move the lock aside, and keep it moved only if it is still the one judged stale
    // (another process may have taken it over and made its own in between).
    const aside = join(dir, `${LOCK_FILE}.stale-${process.pid}-${sequence++}`);
    try {
      renameSync(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = readHolder(aside);
    if (moved && moved.pid === holder.pid && moved.started === holder.started) {
      unlinkSync(aside);
      tookOverFrom = holder;
    } else {
      try {
        linkSync(aside, file);
      } catch {
        // A third process holds it now; ours is not restored (it is judged on the next attempt).
      }
      unlinkSync(aside);
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    const holder = readHolder(file);
    // Only our own lock: a user who deleted it and started another run keeps theirs.
    if (holder && holder.pid === me.pid && holder.started === me.started) {
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    }
  };
  process.on('exit', release);
  return { file, tookOverFrom, release };
}

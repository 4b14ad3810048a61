/**
 * One process at a time in a run folder: two writing one folder would
 * interleave checkpoints, metrics and state.json. The lock is a file,
 * `<dir>/.lock`, naming its holder (process id, host, command); it is made
 * whole under a temporary name and linked into place, so its creation is
 * atomic and a reader never sees it half-written. A lock whose process is
 * gone (killed, crashed; its id unused, or used by a process that started
 * after the lock was taken) is taken over; one held from another host, which
 * cannot be checked, is an error that says how to clear it.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { isProcessAlive } from '@molrl/progress';
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

/** The lock files this process holds (a lock naming this process's id that is not among them is stale). */
const heldHere = new Set<string>();

/**
 * When process `pid` started, in ms since the epoch, where Linux's /proc says (else null): a process
 * that started after a lock was taken is another one under a reused id (a container restarted, say).
 */
function processStartMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at the third; starttime is the 22nd.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ, the unit of starttime, is 100 on every Linux architecture Node runs on.
    return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + ticks * 10 : null;
  } catch {
    return null;
  }
}

/** Whether the lock's process still runs: alive, not this process (unless it holds the lock), and not newer than the lock. */
function holderRuns(holder: RunLockHolder, file: string): boolean {
  if (holder.pid === process.pid) return heldHere.has(file);
  if (!isProcessAlive(holder.pid)) return false;
  const started = Date.parse(holder.started);
  const processStarted = processStartMs(holder.pid);
  // A second of slack for the tick and boot-time rounding.
  return !(Number.isFinite(started) && processStarted !== null && processStarted > started + 1000);
}

/** File systems without hard links (FAT, some network shares) refuse `link` with these. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Make the lock file holding `text` unless one exists (false then). It is written whole under a
 * temporary name and linked into place; where the file system has no hard links, it is made by an
 * exclusive create and then written (a reader may find it empty for that moment).
 */
function createLockFile(file: string, text: string): boolean {
  const pending = `${file}.tmp-${process.pid}-${sequence++}`;
  writeFileSync(pending, text);
  try {
    linkSync(pending, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw error;
  } finally {
    unlinkSync(pending);
  }
  try {
    writeFileSync(file, text, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The lock's holder; null: no lock; 'empty': a lock being written (or left empty by a crash);
 * 'unreadable': a file that names no holder.
 */
function readHolder(file: string): RunLockHolder | 'empty' | 'unreadable' | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return 'unreadable';
  }
  if (text.trim() === '') return 'empty';
  try {
    const h = JSON.parse(text) as Partial<RunLockHolder> | null;
    if (typeof h?.pid === 'number' && typeof h.host === 'string')
      return { pid: h.pid, host: h.host, command: String(h.command ?? ''), started: String(h.started ?? '') };
  } catch {
    // not JSON: below
  }
  return 'unreadable';
}

function describe(h: RunLockHolder): string {
  return `process ${h.pid} on ${h.host}${h.started ? ` since ${h.started}` : ''}${h.command ? ` (${h.command})` : ''}`;
}

/**
 * Take `dir`'s lock (the folder must exist), or throw a ConfigError naming the
 * process that holds it. `what` names the folder in messages, which give its absolute path.
 */
export function lockRunFolder(dir: string, what = 'run folder'): RunLock {
  const folder = resolve(dir);
  const file = join(folder, LOCK_FILE);
  const me: RunLockHolder = {
    pid: process.pid,
    host: hostname(),
    command: ['molrl', ...process.argv.slice(2)].join(' '),
    started: new Date().toISOString(),
  };
  const text = JSON.stringify(me) + '\n';
  let tookOverFrom: RunLockHolder | null = null;
  for (let attempt = 0; ; attempt++) {
    if (createLockFile(file, text)) break;
    const holder = readHolder(file);
    if (holder === null) continue; // released between the two calls
    if (holder === 'empty' && attempt < 20) {
      sleepMs(10); // made by an exclusive create and not yet written (a file system without hard links)
      continue;
    }
    if (holder === 'empty')
      throw new ConfigError(
        `${folder}: the ${what} is locked by an empty ${file}; if no molrl command runs there, delete it`,
      );
    const clear = `if no such process is running, delete ${file}`;
    if (holder === 'unreadable')
      throw new ConfigError(`${folder}: the ${what} is locked (${file} is not a lock this version reads); ${clear}`);
    if (holder.host !== me.host)
      throw new ConfigError(`${folder}: the ${what} is in use by ${describe(holder)}; ${clear}`);
    if (holderRuns(holder, file))
      throw new ConfigError(
        `${folder}: the ${what} is in use by ${describe(holder)}; wait for it to finish or stop it (Ctrl-C or kill ${holder.pid}), or use another --out`,
      );
    if (attempt > 3) throw new ConfigError(`${folder}: cannot take the ${what}'s lock ${file} (it keeps changing)`);
    // Its process is gone: move the lock aside, and keep it moved only if it is still the one judged stale
    // (another process may have taken it over and made its own in between).
    const aside = `${file}.stale-${process.pid}-${sequence++}`;
    try {
      renameSync(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = readHolder(aside);
    if (typeof moved === 'object' && moved?.pid === holder.pid && moved.started === holder.started) {
      unlinkSync(aside);
      tookOverFrom = holder;
    } else {
      // Put it back unless a third process has made one since (that one is judged on the next attempt).
      try {
        createLockFile(file, readFileSync(aside, 'utf8'));
      } finally {
        unlinkSync(aside);
      }
    }
  }
  heldHere.add(file);
  const release = () => {
    if (!heldHere.delete(file)) return; // released already
    process.off('exit', release);
    const holder = readHolder(file);
    // Only our own lock: a user who deleted it and started another run keeps theirs.
    if (typeof holder === 'object' && holder?.pid === me.pid && holder.started === me.started) {
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

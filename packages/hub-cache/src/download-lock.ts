/**
 * A lock between processes (and between loads in one process) around the
 * download of one blob: two writers of the same `blobs/<etag>.incomplete` file
 * interleave, and the first to finish would rename a file the second is still
 * writing. proper-lockfile's lock is a folder made atomically, refreshed while
 * its holder lives, and taken over once it goes stale (a holder that crashed).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';

export interface DownloadLockOptions {
  /** After how long without a refresh a lock counts as abandoned (default 20 s). */
  staleMs?: number;
  /** Called once when the lock is held by another download and this one waits. */
  onWait?: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Run `task` holding the lock at `lockPath`, waiting for as long as another live holder has it. */
export async function withDownloadLock<T>(
  lockPath: string,
  task: () => Promise<T>,
  options: DownloadLockOptions = {},
): Promise<T> {
  const stale = Math.max(options.staleMs ?? 20_000, 2_000);
  await mkdir(dirname(lockPath), { recursive: true });
  let compromised: Error | null = null;
  let release: () => Promise<void>;
  for (let attempt = 0; ; attempt++) {
    try {
      release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: lockPath,
        stale,
        update: Math.floor(stale / 2),
        // A timer that throws would end the process: remember, and fail the download instead.
        onCompromised: (err) => {
          compromised = err;
        },
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (attempt === 0) options.onWait?.();
      await sleep(Math.min(50 * 2 ** Math.min(attempt, 5), 1_000));
    }
  }
  try {
    const result = await task();
    if (compromised)
      throw new Error(
        `the download lock ${lockPath} was taken over while held (${(compromised as Error).message}); load again`,
      );
    return result;
  } finally {
    if (!compromised) await release().catch(() => {});
  }
}

/**
 * One repo's folder in the Hub cache, laid out as Python's huggingface_hub
 * lays it out, so either can read what the other wrote:
 * `<cacheDir>/models--owner--name/{blobs,snapshots/<commit>/<path>,refs/<revision>,.no_exist/<commit>/<path>}`.
 * Reading it needs no network.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { writeFileAtomic } from '@molrl/progress';
import { hubCacheDir } from './environment.js';
import { isCommit, repoFolderName, type HubRepo } from './repo-id.js';

export class RepoCache {
  /** The cache folder all repos share. */
  readonly cacheDir: string;
  /** This repo's folder in it. */
  readonly folder: string;

  constructor(
    readonly repo: HubRepo,
    cacheDir?: string,
  ) {
    this.cacheDir = hubCacheDir(cacheDir);
    this.folder = join(this.cacheDir, repoFolderName(repo));
  }

  /** The folder holding the files of `commit`. */
  snapshotDir(commit: string): string {
    return join(this.folder, 'snapshots', commit);
  }

  /** The commit the cache has for `revision`: the revision itself when it is a commit, else the one `refs/<revision>` records; null when none. */
  commitOf(revision: string): string | null {
    if (isCommit(revision)) return revision;
    const ref = join(this.folder, 'refs', revision);
    if (!existsSync(ref)) return null;
    const commit = readFileSync(ref, 'utf8').trim();
    return isCommit(commit) ? commit : null;
  }

  /** The path `refs/<revision>` would be at (for messages). */
  refPath(revision: string): string {
    return join(this.folder, 'refs', revision);
  }

  /**
   * What the cache knows of `path` at `commit`: the local file, `'absent'`
   * when a `.no_exist` marker says the repo has no such file there, or null.
   */
  fileAt(commit: string, path: string): string | 'absent' | null {
    const file = join(this.snapshotDir(commit), path);
    if (existsSync(file)) return file;
    return existsSync(join(this.folder, '.no_exist', commit, path)) ? 'absent' : null;
  }

  /** Every file the snapshot of `commit` holds, as repo paths in sorted order (none when it is not cached). */
  filesAt(commit: string): string[] {
    const dir = this.snapshotDir(commit);
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((p) => statSync(join(dir, p)).isFile())
      .map((p) => relative(dir, join(dir, p)).split(sep).join('/'))
      .sort();
  }

  /** Record that the repo has no `path` at `commit` (huggingface_hub's marker), so no later load asks again. */
  async markAbsent(commit: string, path: string): Promise<void> {
    const marker = join(this.folder, '.no_exist', commit, path);
    await mkdir(dirname(marker), { recursive: true });
    await writeFileAtomic(marker, '');
  }

  /** Record which commit `revision` named (`refs/<revision>`), for loads without the network; nothing for a commit. */
  async recordRevision(revision: string, commit: string): Promise<void> {
    if (isCommit(revision)) return;
    const ref = this.refPath(revision);
    await mkdir(dirname(ref), { recursive: true });
    await writeFileAtomic(ref, commit);
  }

  /**
   * Where the lock of one blob lives while a process downloads it:
   * `<cacheDir>/.locks/<repo folder>/<etag>.lockdir` (beside huggingface_hub's
   * own `<etag>.lock` files, which are not shared with it).
   */
  lockPath(etag: string): string {
    return join(this.cacheDir, '.locks', repoFolderName(this.repo), `${etag}.lockdir`);
  }
}

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
import { byPath, type HubFileInfo } from './hub-file.js';
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
   * Record every file of the repo at `commit` (path, size, blob name), as a
   * complete listing gave them: what lets a later load without the network
   * know which files the commit has and check the snapshot holds them whole.
   * Kept in `.listings/<commit>.json` beside huggingface_hub's folders (it
   * reads none it does not know).
   */
  async recordListing(commit: string, files: readonly HubFileInfo[]): Promise<void> {
    const path = join(this.folder, '.listings', `${commit}.json`);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, JSON.stringify(files.map(({ path, size, etag }) => ({ path, size, etag }))) + '\n');
  }

  /** The listing `recordListing` kept for `commit`, or null when none was (or it cannot be read). */
  listingAt(commit: string): HubFileInfo[] | null {
    try {
      const files = JSON.parse(readFileSync(join(this.folder, '.listings', `${commit}.json`), 'utf8')) as unknown;
      const ok =
        Array.isArray(files) &&
        files.every(
          (f: Partial<HubFileInfo>) =>
            typeof f?.path === 'string' && Number.isInteger(f.size) && typeof f.etag === 'string',
        );
      return ok ? (files as HubFileInfo[]) : null;
    } catch {
      return null;
    }
  }

  /**
   * Without the network: the commit the cache has for `revision` and the repo's
   * files there, in path order, as `recordListing` kept them. Throws when the
   * revision has no commit in the cache, or the commit no listing.
   */
  cachedListing(revision: string): { commit: string; files: HubFileInfo[] } {
    const where = `${this.repo.name}@${revision}`;
    const commit = this.commitOf(revision);
    if (commit === null) throw new Error(`${where} is not in the cache (no ${this.refPath(revision)})`);
    const listing = this.listingAt(commit);
    if (listing === null)
      throw new Error(
        `${where}: the cache has no listing of commit ${commit} (a repo's files are known only once it has been listed online)`,
      );
    return { commit, files: listing.sort(byPath) };
  }

  /**
   * Without the network: the local paths of the files of `revision`'s cached
   * commit that `keep` accepts, in path order, each checked whole against the
   * recorded listing. Throws naming what is missing: no commit recorded for the
   * revision, no listing of it (the repo was never listed online at that
   * commit), or a file the snapshot lacks or holds cut short.
   */
  cachedFiles(revision: string, keep: (path: string) => boolean = () => true): string[] {
    const where = `${this.repo.name}@${revision}`;
    const { commit, files } = this.cachedListing(revision);
    const wanted = files.filter((f) => keep(f.path));
    return wanted.map((file) => {
      const local = this.fileAt(commit, file.path);
      if (local === null || local === 'absent')
        throw new Error(`${where}: the cache lacks ${file.path} of commit ${commit} (load it once online)`);
      const size = statSync(local).size;
      if (size !== file.size)
        throw new Error(
          `${where}: the cached ${file.path} has ${size} of its ${file.size} bytes (load it again online)`,
        );
      return local;
    });
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

/**
 * Loading a tokenizer from a Hugging Face Hub repository through @huggingface/hub,
 * with its local cache (the Hub's standard layout, shared with Python's
 * huggingface_hub: `<cacheDir>/models--owner--name/snapshots/<commit>/...`).
 *
 * A branch or tag is first resolved to the commit it names (one request), and
 * every file is fetched at that commit into `snapshots/<commit>/`; the commit is
 * recorded in `refs/<revision>`, as huggingface_hub does. So the files of one
 * load come from one commit, a branch that moved gets the new commit's files, and
 * when the Hub cannot be reached the files cached for that revision are used
 * (offline use, like transformers).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { downloadFileToCacheDir, modelInfo, pathsInfo } from '@huggingface/hub';
import { writeFileAtomic } from '@molrl/progress';

export interface HubOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** The Hub's address (default https://huggingface.co); point it at a mirror or a test server. */
  hubUrl?: string;
  accessToken?: string;
  /** Cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

const COMMIT = /^[0-9a-f]{40}$/;

function defaultCacheDir(): string {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  const home = process.env.HF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

function repoFolder(cacheDir: string, repoId: string): string {
  return join(cacheDir, `models--${repoId.split('/').join('--')}`);
}

/** Whether an error means the Hub could not be reached at all (not an HTTP answer). */
function isNetworkError(err: unknown): boolean {
  const e = err as { statusCode?: number; name?: string; message?: string; cause?: { code?: string } };
  if (typeof e.statusCode === 'number') return false;
  return (
    e.name === 'TypeError' ||
    /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT/.test(`${e.message} ${e.cause?.code ?? ''}`)
  );
}

/**
 * What the cache holds for `path` at `commit`: the file, `'absent'` when a
 * `.no_exist/<commit>/<path>` marker says the repo has no such file there (as
 * huggingface_hub records it), or null when it knows nothing.
 */
function cachedAt(folder: string, commit: string, path: string): string | 'absent' | null {
  const file = join(folder, 'snapshots', commit, path);
  if (existsSync(file)) return file;
  return existsSync(join(folder, '.no_exist', commit, path)) ? 'absent' : null;
}

/** The commit the cache has for `revision`: the revision itself when it is a commit, else refs/<revision>. */
function cachedCommit(folder: string, revision: string): string | null {
  if (COMMIT.test(revision)) return revision;
  const ref = join(folder, 'refs', revision);
  if (!existsSync(ref)) return null;
  const commit = readFileSync(ref, 'utf8').trim();
  return COMMIT.test(commit) ? commit : null;
}

/** A file path inside the repo: not empty, no ".." component, not absolute. */
function checkPath(path: unknown): asserts path is string {
  if (
    typeof path !== 'string' ||
    path === '' ||
    path.replace(/\\/g, '/').split('/').includes('..') ||
    /^([/\\]|[a-zA-Z]:)/.test(path)
  )
    throw new TypeError(`hubFile: path must be a file path in the repository, got ${JSON.stringify(path)}`);
}

/**
 * Several files of a model repo, all from the one commit the revision names
 * (resolved once), as text; null for each file the repo does not have there.
 * When the Hub cannot be reached, the files cached for the revision
 * (`refs/<revision>`) are used.
 */
export async function hubFiles(
  repoId: string,
  paths: readonly string[],
  options: HubOptions = {},
): Promise<Array<string | null>> {
  // The Hub's rule, and no "." or ".." component that would leave the cache folder.
  if (typeof repoId !== 'string' || !/^[\w.-]+(\/[\w.-]+)?$/.test(repoId) || /(^|\/)\.|\.\./.test(repoId))
    throw new TypeError(`hubFile: repoId must be a Hub repo id (owner/name), got ${JSON.stringify(repoId)}`);
  for (const path of paths) checkPath(path);
  const revision = options.revision ?? 'main';
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const folder = repoFolder(cacheDir, repoId);
  const common = {
    hubUrl: options.hubUrl,
    fetch: options.fetch,
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
  };
  const fail = (path: string, err: unknown): Error => {
    const message = (err as Error).message ?? String(err);
    return new Error(`${repoId}@${revision}: cannot download ${path}: ${message}`, { cause: err });
  };
  const read = (found: string | 'absent') => (found === 'absent' ? null : readFileSync(found, 'utf8'));

  // A commit whose files are all in the cache needs no request.
  if (COMMIT.test(revision)) {
    const found = paths.map((p) => cachedAt(folder, revision, p));
    if (found.every((f) => f !== null)) return found.map((f) => read(f!));
  }

  // The commit the revision names now: every file is fetched at it.
  let commit: string;
  try {
    const info = await modelInfo({ ...common, name: repoId, revision, additionalFields: ['sha'] });
    if (typeof info.sha !== 'string' || !COMMIT.test(info.sha))
      throw new Error(`the Hub gave no commit for the revision (sha ${JSON.stringify(info.sha)})`);
    commit = info.sha;
  } catch (err) {
    // No such repo or revision: the repo has none of the files.
    if ((err as { statusCode?: number }).statusCode === 404) return paths.map(() => null);
    if (isNetworkError(err)) {
      // Offline: the files cached for this revision, if it has them all.
      const cached = cachedCommit(folder, revision);
      const found = cached === null ? [] : paths.map((p) => cachedAt(folder, cached, p));
      if (found.length === paths.length && found.every((f) => f !== null)) return found.map((f) => read(f!));
      const missing = paths[found.findIndex((f) => f === null)] ?? paths[0]!;
      throw fail(missing, err);
    }
    throw fail(paths[0]!, err);
  }

  const found = paths.map((p) => cachedAt(folder, commit, p));
  const toFetch = paths.filter((_, i) => found[i] === null);
  if (toFetch.length > 0) {
    // Which files the commit has, and their sizes to check each download against (one request).
    let sizes: Map<string, number>;
    try {
      const infos = await pathsInfo({
        ...common,
        repo: { type: 'model', name: repoId },
        paths: toFetch,
        revision: commit,
      });
      sizes = new Map(infos.map((i) => [i.path, i.lfs?.size ?? i.size]));
    } catch (err) {
      throw fail(toFetch[0]!, err);
    }
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      if (found[i] !== null) continue;
      const expected = sizes.get(path);
      if (expected === undefined) {
        // Recorded as huggingface_hub does, so offline loads know the file is not there.
        const marker = join(folder, '.no_exist', commit, path);
        await mkdir(dirname(marker), { recursive: true });
        await writeFileAtomic(marker, '');
        found[i] = 'absent';
        continue;
      }
      let local: string;
      try {
        local = await downloadFileToCacheDir({
          ...common,
          repo: { type: 'model', name: repoId },
          path,
          revision: commit,
          cacheDir,
        });
      } catch (err) {
        throw fail(path, err);
      }
      const got = statSync(local).size;
      if (got !== expected) {
        // Neither the blob nor the snapshot's link to it may stay: a later load would take it as the file.
        await rm(realpathSync(local), { force: true });
        await rm(local, { force: true });
        throw fail(path, new Error(`got ${got} of its ${expected} bytes (the transfer was cut short)`));
      }
      found[i] = local;
    }
  }
  // Which commit the revision named (refs/<revision>, as huggingface_hub records it), for offline loads.
  if (!COMMIT.test(revision)) {
    const ref = join(folder, 'refs', revision);
    await mkdir(dirname(ref), { recursive: true });
    await writeFileAtomic(ref, commit);
  }
  return found.map((f) => read(f!));
}

/** Download (or reuse from the cache) one file of a model repo; null when the repo has no such file. */
export async function hubFile(repoId: string, path: string, options: HubOptions = {}): Promise<string | null> {
  return (await hubFiles(repoId, [path], options))[0]!;
}

/**
 * Loading a tokenizer from a Hugging Face Hub repository through @huggingface/hub,
 * with its local cache (the Hub's standard layout, shared with Python's
 * huggingface_hub: `<cacheDir>/models--owner--name/snapshots/<commit>/...`).
 *
 * After each download the revision's commit is recorded in `refs/<revision>`, as
 * huggingface_hub does, so when the Hub cannot be reached a file already in the
 * cache for that revision is used (offline use, like transformers).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { downloadFileToCacheDir } from '@huggingface/hub';

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

/** The cached copy of `path` at `revision`, if refs/<revision> (or a commit snapshot) has it. */
function cachedFile(cacheDir: string, repoId: string, revision: string, path: string): string | null {
  const folder = repoFolder(cacheDir, repoId);
  let commit = revision;
  const ref = join(folder, 'refs', revision);
  if (existsSync(ref)) commit = readFileSync(ref, 'utf8').trim();
  const file = join(folder, 'snapshots', commit, path);
  return existsSync(file) ? file : null;
}

/** Download (or reuse from the cache) one file of a model repo; null when the repo has no such file. */
export async function hubFile(repoId: string, path: string, options: HubOptions = {}): Promise<string | null> {
  // The Hub's rule, and no "." or ".." component that would leave the cache folder.
  if (typeof repoId !== 'string' || !/^[\w.-]+(\/[\w.-]+)?$/.test(repoId) || /(^|\/)\.|\.\./.test(repoId))
    throw new TypeError(`hubFile: repoId must be a Hub repo id (owner/name), got ${JSON.stringify(repoId)}`);
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`hubFile: path must be a file path in the repository`);
  const revision = options.revision ?? 'main';
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  let local: string;
  try {
    local = await downloadFileToCacheDir({
      repo: { type: 'model', name: repoId },
      path,
      revision,
      hubUrl: options.hubUrl,
      cacheDir,
      fetch: options.fetch,
      ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    });
  } catch (err) {
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode === 404 || /cannot get path info/.test(e.message ?? '')) return null;
    if (isNetworkError(err)) {
      const cached = cachedFile(cacheDir, repoId, revision, path);
      if (cached) return readFileSync(cached, 'utf8');
    }
    throw new Error(`${repoId}@${revision}: cannot download ${path}: ${e.message ?? String(err)}`, { cause: err });
  }
  // local = <folder>/snapshots/<commit>/<path>: remember which commit the revision named.
  const parts = relative(join(repoFolder(cacheDir, repoId), 'snapshots'), local).split(sep);
  if (parts.length > 1 && parts[0] !== '..' && parts[0] !== revision) {
    const ref = join(repoFolder(cacheDir, repoId), 'refs', revision);
    mkdirSync(dirname(ref), { recursive: true });
    writeFileSync(ref, parts[0]);
  }
  return readFileSync(local, 'utf8');
}

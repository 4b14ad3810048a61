/**
 * Loading a tokenizer's files from a Hugging Face Hub repository through
 * `@molrl/hub-cache`, into the Hub's standard cache layout (shared with
 * Python's huggingface_hub: `<cacheDir>/models--owner--name/snapshots/<commit>/...`).
 *
 * A branch or tag is first resolved to the commit it names (one request), and
 * every file is fetched at that commit into `snapshots/<commit>/`; the commit is
 * recorded in `refs/<revision>`, as huggingface_hub does. So the files of one
 * load come from one commit, a branch that moved gets the new commit's files, and
 * when the Hub cannot be reached the files cached for that revision are used
 * (offline use, like transformers).
 */
import { readFileSync } from 'node:fs';
import {
  HubSnapshot,
  HubUnreachableError,
  isCommit,
  isRepoId,
  isRepoPath,
  RepoCache,
  checkOptionNames,
  HUB_ACCESS_OPTION_KEYS,
  optionNames,
  type HubAccessOptions,
} from '@molrl/hub-cache';
import { describeValue } from './describe-value.js';

/** Where the files come from: revision, Hub address, token, cache folder, fetch. */
export type HubOptions = HubAccessOptions;

/** The option keys of HubOptions. */
export const HUB_OPTION_KEYS = optionNames<HubOptions>(HUB_ACCESS_OPTION_KEYS);

/** A file of a repo as read from the cache: where it lies, and its text. */
export interface HubFileText {
  /** The file in the cache's snapshot folder, `<cacheDir>/models--owner--name/snapshots/<commit>/<path>`. */
  path: string;
  text: string;
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
  return (await hubFilesWithPaths(repoId, paths, options)).map((f) => (f === null ? null : f.text));
}

/** As hubFiles, with the path in the cache each file was read from (for error messages). */
export async function hubFilesWithPaths(
  repoId: string,
  paths: readonly string[],
  options: HubOptions = {},
): Promise<Array<HubFileText | null>> {
  if (!isRepoId(repoId))
    throw new TypeError(`hubFile: repoId must be a Hub repo id (owner/name), got ${JSON.stringify(repoId)}`);
  for (const path of paths)
    if (!isRepoPath(path))
      throw new TypeError(`hubFile: path must be a file path in the repository, got ${JSON.stringify(path)}`);
  const repo = { type: 'model' as const, name: repoId };
  const revision = options.revision ?? 'main';
  const where = `${repoId}@${revision}`;
  const cache = new RepoCache(repo, options.cacheDir);
  // The Hub's errors start with the load's name: said once, before the file's.
  const fail = (path: string, err: unknown): Error => {
    const message = ((err as Error).message ?? String(err))
      .replace(`${where}: `, '')
      .replace(`downloading ${path} failed: `, '');
    return new Error(`${where}: cannot download ${path}: ${message}`, { cause: err });
  };
  const read = (found: string | 'absent') =>
    found === 'absent' ? null : { path: found, text: readFileSync(found, 'utf8') };
  const cachedAt = (commit: string) => paths.map((p) => cache.fileAt(commit, p));

  // A commit whose files are all in the cache needs no request.
  if (isCommit(revision)) {
    const found = cachedAt(revision);
    if (found.every((f) => f !== null)) return found.map((f) => read(f!));
  }

  let snapshot: HubSnapshot;
  try {
    snapshot = await HubSnapshot.resolve(repo, options);
  } catch (err) {
    if (err instanceof HubUnreachableError) {
      // Offline: the files cached for this revision, if it has them all.
      const commit = cache.commitOf(revision);
      const found = commit === null ? [] : cachedAt(commit);
      if (found.length === paths.length && found.every((f) => f !== null)) return found.map((f) => read(f!));
      throw fail(paths[found.findIndex((f) => f === null)] ?? paths[0]!, err);
    }
    throw fail(paths[0]!, err);
  }

  const found = cachedAt(snapshot.commit);
  const toFetch = paths.filter((_, i) => found[i] === null);
  if (toFetch.length > 0) {
    // Which files the commit has, and their sizes to check each download against (one request).
    let infos: Awaited<ReturnType<HubSnapshot['describe']>>;
    try {
      infos = await snapshot.describe(toFetch);
    } catch (err) {
      throw fail(toFetch[0]!, err);
    }
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      if (found[i] !== null) continue;
      const info = infos.get(path);
      if (info === undefined) {
        // Recorded as huggingface_hub does, so offline loads know the file is not there.
        await snapshot.markAbsent(path);
        found[i] = 'absent';
        continue;
      }
      try {
        found[i] = await snapshot.download(info);
      } catch (err) {
        throw fail(path, err);
      }
    }
  }
  await snapshot.recordRevision();
  return found.map((f) => read(f!));
}

/** Download (or reuse from the cache) one file of a model repo; null when the repo has no such file. */
export async function hubFile(repoId: string, path: string, options: HubOptions = {}): Promise<string | null> {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`hubFile: options must be an object, got ${describeValue(options)}`);
  checkOptionNames(options, HUB_OPTION_KEYS, 'hubFile');
  return (await hubFiles(repoId, [path], options))[0]!;
}

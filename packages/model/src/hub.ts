/**
 * Resolve a model folder: a local directory as it is, or a Hub repo id
 * downloaded through `@molrl/hub-cache` into the Hugging Face cache layout
 * (`<cacheDir>/models--owner--name/snapshots/<commit>/...`, `refs/<revision>`,
 * `.no_exist/<commit>/<file>`, as Python's huggingface_hub lays it out), so a
 * second load reads from disk.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkOptionNames,
  HUB_LOAD_OPTION_KEYS,
  hubCacheDir as cacheDirOf,
  HubSnapshot,
  isCommit,
  isRepoId,
  offlineByEnv,
  onlineOrCached,
  optionNames,
  RepoCache,
  type HubSnapshotOptions,
} from '@molrl/hub-cache';
import { INDEX_FILE, parseSafetensorsIndex, SINGLE_FILE } from './safetensors/checkpoint.js';
import { shownValue } from './shown-value.js';

/** Where the files come from (revision, Hub, token, cache) and what a download reports (`onFile`, `onBytes`, `onWait`). */
export interface HubOptions extends Omit<HubSnapshotOptions, 'withFilePaths'> {
  /** Extra files to fetch beside config.json and the weights (e.g. "generation_config.json"). */
  extraFiles?: string[];
  /**
   * Use only the local cache, never the network (default: true when
   * $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE is 1). The revision is found as a
   * snapshot commit or through `refs/<revision>`, as Python's huggingface_hub
   * lays the cache out. A local folder is read as it is, with or without it
   * (transformers' `local_files_only` with a path).
   */
  localFilesOnly?: boolean;
  /**
   * Show the weights' download on stderr (a bar with rate and ETA on a terminal,
   * log lines otherwise). Default: when the files to fetch reach 100 MiB.
   */
  progress?: boolean;
}

/** The fields of `HubOptions`; `resolveModelDir` and `downloadModelFiles` refuse any other. */
export const HUB_OPTION_NAMES: readonly string[] = optionNames<HubOptions>({
  ...HUB_LOAD_OPTION_KEYS,
  extraFiles: true,
  progress: true,
});

/**
 * Throws naming `fn` at an options object that is not one, a key not in `known`
 * (with the name it most likely meant: `localFileOnly`, `local_files_only`), or
 * a flag that is not a boolean (`localFilesOnly: 'false'` would count as set).
 */
export function checkHubOptions(options: unknown, known: readonly string[], fn: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${fn}: options must be an object, got ${shownValue(options)}`);
  checkOptionNames(options, known, fn);
  for (const key of ['localFilesOnly', 'progress'] as const) {
    const value = (options as HubOptions)[key];
    if (value !== undefined && typeof value !== 'boolean')
      throw new TypeError(`${fn}: options.${key} must be a boolean, got ${shownValue(value)}`);
  }
}

/** The error for a name that is neither a local folder nor a Hub repo id (a mistyped path, most often). */
function notAModel(dirOrRepoId: string): Error {
  return new Error(`'${dirOrRepoId}' is neither an existing directory nor a Hub repo id (owner/name)`);
}

/** True when `dirOrRepoId` names an existing local directory. */
export function isLocalDir(dirOrRepoId: string): boolean {
  return existsSync(dirOrRepoId) && statSync(dirOrRepoId).isDirectory();
}

const repoOf = (repoId: string) => ({ type: 'model' as const, name: repoId });

/**
 * The first file a snapshot lacks to be loadable: config.json and the
 * weights (every shard of the index), and, when `extraFiles` are given, each
 * of them or its `.no_exist` marker. Null when complete.
 */
function missingFromSnapshot(cache: RepoCache, commit: string, extraFiles: readonly string[] = []): string | null {
  const snapshot = cache.snapshotDir(commit);
  const config = join(snapshot, 'config.json');
  if (!existsSync(config)) return config;
  const indexPath = join(snapshot, INDEX_FILE);
  if (existsSync(indexPath)) {
    let shards: string[];
    try {
      shards = Object.values(parseSafetensorsIndex(readFileSync(indexPath, 'utf8'), indexPath).weight_map);
    } catch {
      return indexPath;
    }
    for (const shard of new Set(shards)) if (!existsSync(join(snapshot, shard))) return join(snapshot, shard);
  } else if (!existsSync(join(snapshot, SINGLE_FILE))) {
    return join(snapshot, SINGLE_FILE);
  }
  for (const extra of extraFiles) if (cache.fileAt(commit, extra) === null) return join(snapshot, extra);
  return null;
}

/**
 * Download config.json and the safetensors weights (single file or every
 * shard listed in the index) of a Hub model repo and return the local
 * snapshot folder holding them. The revision is resolved to its commit first
 * (one request; none for a commit already complete in the cache), and every
 * file is fetched at that commit into `snapshots/<commit>/`, so the files of
 * one load come from one commit and files already there are not fetched again.
 * Two processes loading the same model download each file once.
 */
export async function downloadModelFiles(repoId: string, options: HubOptions = {}): Promise<string> {
  checkHubOptions(options, HUB_OPTION_NAMES, 'downloadModelFiles');
  if (!isRepoId(repoId)) throw notAModel(repoId);
  const revision = options.revision ?? 'main';
  const cache = new RepoCache(repoOf(repoId), options.cacheDir);
  const extraFiles = options.extraFiles ?? [];
  // A commit complete in the cache needs no request (huggingface_hub's rule too).
  if (isCommit(revision) && missingFromSnapshot(cache, revision, extraFiles) === null)
    return cache.snapshotDir(revision);

  try {
    return await onlineOrCached(
      repoOf(repoId),
      { ...options, withFilePaths: true },
      (snapshot) => downloadSnapshot(snapshot, options),
      // The Hub cannot be reached (or localFilesOnly): the cache serves the revision if it has it, as huggingface_hub does.
      () => {
        try {
          return cachedModelDir(repoId, { cacheDir: options.cacheDir, revision: options.revision });
        } catch (cacheErr) {
          throw new Error((cacheErr as Error).message.replace(/^offline: /, ''), { cause: cacheErr });
        }
      },
    );
  } catch (err) {
    throw new Error(`hub ${(err as Error).message}`, { cause: err });
  }
}

/** Fetch what `missingFromSnapshot` lacks at the resolved commit and record the revision; the snapshot folder. */
async function downloadSnapshot(snapshot: HubSnapshot, options: HubOptions): Promise<string> {
  const { commit, cache } = snapshot;
  const repoId = snapshot.repo.name;
  const extraFiles = options.extraFiles ?? [];
  const where = `${repoId}@${snapshot.revision}`;
  const repoFiles = snapshot.filePaths!;
  if (missingFromSnapshot(cache, commit, extraFiles) !== null) {
    if (!repoFiles.has('config.json')) throw new Error(`${where}: the repo has no config.json at commit ${commit}`);
    let weights: string;
    if (repoFiles.has(INDEX_FILE)) weights = INDEX_FILE;
    else if (repoFiles.has(SINGLE_FILE)) weights = SINGLE_FILE;
    else {
      const pytorch = [...repoFiles].filter((f) => /\.bin(\.index\.json)?$|\.pt$|\.pth$/.test(f)).sort();
      if (pytorch.length)
        throw new Error(
          `${where}: the repo has no safetensors weights, only ${pytorch.slice(0, 3).join(', ')}${pytorch.length > 3 ? ', ...' : ''}: ` +
            `PyTorch pickles are not read here (loading one runs code); convert them to safetensors ` +
            `(transformers: from_pretrained, then save_pretrained), or load a revision that has them (the Hub's conversion bot opens one as refs/pr/N)`,
        );
      throw new Error(`${where}: the repo has neither ${SINGLE_FILE} nor ${INDEX_FILE}`);
    }
    const present = extraFiles.filter((f) => repoFiles.has(f));
    // Sizes to check each download against (one request): a body cut short without an error must not pass as the file.
    const infos = await snapshot.describe(['config.json', ...present, weights]);
    const infoOf = (path: string) => {
      const info = infos.get(path);
      if (!info)
        throw new Error(`${where}: the repo lists ${path} but the Hub gives no size for it at commit ${commit}`);
      return info;
    };
    const fetchFile = (path: string) => snapshot.download(infoOf(path));
    // The weights with one progress display over their bytes (by default when they reach 100 MiB).
    const fetchWeights = (paths: string[]) => snapshot.downloadAll(paths.map(infoOf), { progress: options.progress });
    for (const f of ['config.json', ...present]) await fetchFile(f);
    // Recorded as huggingface_hub does, so a later load does not ask again.
    for (const extra of extraFiles.filter((f) => !repoFiles.has(f))) await snapshot.markAbsent(extra);
    if (weights === INDEX_FILE) {
      const indexPath = await fetchFile(INDEX_FILE);
      const index = parseSafetensorsIndex(await readFile(indexPath, 'utf8'), `${repoId}/${INDEX_FILE}`);
      const shards = [...new Set(Object.values(index.weight_map))].sort();
      const absent = shards.filter((s) => !repoFiles.has(s));
      if (absent.length)
        throw new Error(
          `${where}: ${INDEX_FILE} lists ${absent.join(', ')}, which the repo does not have at commit ${commit}`,
        );
      for (const [path, info] of await snapshot.describe(shards)) infos.set(path, info);
      await fetchWeights(shards);
    } else {
      await fetchWeights([SINGLE_FILE]);
    }
  }
  // Which commit the revision pointed to (refs/<revision>, as huggingface_hub records it), for offline loads.
  await snapshot.recordRevision();
  return snapshot.dir;
}

/** The cache folder: options.cacheDir, else @huggingface/hub's (and Python's) default ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub). */
export function hubCacheDir(options: Pick<HubOptions, 'cacheDir'> = {}): string {
  return cacheDirOf(options.cacheDir);
}

/**
 * The cached snapshot folder of a repo revision, without the network: it must
 * hold config.json and every weight file (a download cut short leaves none of
 * them); an error says what is missing where.
 */
export function cachedModelDir(repoId: string, options: Pick<HubOptions, 'cacheDir' | 'revision'> = {}): string {
  checkHubOptions(options, ['cacheDir', 'revision'], 'cachedModelDir');
  const revision = options.revision ?? 'main';
  const cache = new RepoCache(repoOf(repoId), options.cacheDir);
  const commit = cache.commitOf(revision);
  if (commit === null)
    throw new Error(`offline: ${repoId}@${revision} is not in the cache (no ${cache.refPath(revision)})`);
  const missing = missingFromSnapshot(cache, commit);
  if (missing !== null) throw new Error(`offline: ${repoId}@${revision} is not in the cache (no ${missing})`);
  return cache.snapshotDir(commit);
}

/**
 * A local model folder for `dirOrRepoId`: the directory itself, or the Hub snapshot downloaded into the cache.
 * A local folder is read as it is, with or without `localFilesOnly` (never the network either way), as
 * transformers' `local_files_only` with a path; a name that is neither is an error whatever the options.
 */
export async function resolveModelDir(dirOrRepoId: string, options: HubOptions = {}): Promise<string> {
  if (typeof dirOrRepoId !== 'string' || dirOrRepoId === '')
    throw new TypeError(`resolveModelDir: expected a model folder or a Hub repo id, got ${typeof dirOrRepoId}`);
  checkHubOptions(options, HUB_OPTION_NAMES, 'resolveModelDir');
  if (isLocalDir(dirOrRepoId)) return dirOrRepoId;
  // A mistyped folder must not be looked up in the cache as a repo ("offline: /no/such@main is not in the cache").
  if (!isRepoId(dirOrRepoId)) throw notAModel(dirOrRepoId);
  if (options.localFilesOnly ?? offlineByEnv())
    return cachedModelDir(dirOrRepoId, { cacheDir: options.cacheDir, revision: options.revision });
  return downloadModelFiles(dirOrRepoId, options);
}

/**
 * Resolve a model folder: a local directory as it is, or a Hub repo id
 * downloaded through `@huggingface/hub` into the Hugging Face cache layout
 * (`<cacheDir>/models--owner--name/snapshots/<commit>/...`), so a second load
 * reads from disk.
 */
import { downloadFileToCacheDir, fileExists, getHFHubCachePath } from '@huggingface/hub';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '@molrl/progress';
import { INDEX_FILE, parseSafetensorsIndex, SINGLE_FILE } from './safetensors/checkpoint.js';

export interface HubOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** Hub endpoint (default https://huggingface.co). */
  hubUrl?: string;
  /** Cache folder (default: $HF_HUB_CACHE or ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Access token for private repos (default: $HF_TOKEN). */
  accessToken?: string;
  /** Extra files to fetch beside config.json and the weights (e.g. "generation_config.json"). */
  extraFiles?: string[];
  /** Called with each file name as its download starts. */
  onFile?: (path: string) => void;
  /**
   * Use only the local cache, never the network (default: true when
   * $HF_HUB_OFFLINE is 1). The revision is found as a snapshot commit or
   * through `refs/<revision>`, as Python's huggingface_hub lays the cache out.
   */
  localFilesOnly?: boolean;
}

/** True when `dirOrRepoId` names an existing local directory. */
export function isLocalDir(dirOrRepoId: string): boolean {
  return existsSync(dirOrRepoId) && statSync(dirOrRepoId).isDirectory();
}

/**
 * Download config.json and the safetensors weights (single file or every
 * shard listed in the index) of a Hub model repo and return the local
 * snapshot folder holding them.
 */
export async function downloadModelFiles(repoId: string, options: HubOptions = {}): Promise<string> {
  // The Hub's rule, and no "." or ".." component that would leave the cache folder.
  if (typeof repoId !== 'string' || !/^[\w.-]+(\/[\w.-]+)?$/.test(repoId) || /(^|\/)\.|\.\./.test(repoId)) {
    throw new Error(`'${repoId}' is neither an existing directory nor a Hub repo id (owner/name)`);
  }
  const common = {
    repo: { type: 'model' as const, name: repoId },
    revision: options.revision,
    hubUrl: options.hubUrl,
    cacheDir: options.cacheDir,
    accessToken: options.accessToken ?? process.env.HF_TOKEN,
  };
  const fetchFile = async (path: string): Promise<string> => {
    options.onFile?.(path);
    try {
      return await downloadFileToCacheDir({ ...common, path });
    } catch (err) {
      throw new Error(
        `hub ${repoId}@${options.revision ?? 'main'}: downloading ${path} failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  const configPath = await fetchFile('config.json');
  for (const extra of options.extraFiles ?? []) {
    if (await fileExists({ ...common, path: extra })) await fetchFile(extra);
  }
  if (await fileExists({ ...common, path: INDEX_FILE })) {
    const indexPath = await fetchFile(INDEX_FILE);
    const index = parseSafetensorsIndex(await readFile(indexPath, 'utf8'), `${repoId}/${INDEX_FILE}`);
    for (const shard of [...new Set(Object.values(index.weight_map))].sort()) await fetchFile(shard);
  } else if (await fileExists({ ...common, path: SINGLE_FILE })) {
    await fetchFile(SINGLE_FILE);
  } else {
    throw new Error(
      `hub ${repoId}@${options.revision ?? 'main'}: the repo has neither ${SINGLE_FILE} nor ${INDEX_FILE}`,
    );
  }
  const snapshot = dirname(configPath);
  // Record which commit the revision pointed to (refs/<revision>, as huggingface_hub does), for offline loads.
  const revision = options.revision ?? 'main';
  if (!COMMIT.test(revision)) {
    const refs = join(dirname(dirname(snapshot)), 'refs');
    await mkdir(join(refs, dirname(revision)), { recursive: true });
    const ref = join(refs, revision);
    await writeFileAtomic(ref, basename(snapshot));
  }
  return snapshot;
}

const COMMIT = /^[0-9a-f]{40}$/;

/** The cache folder: options.cacheDir, else @huggingface/hub's (and Python's) default ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub). */
export function hubCacheDir(options: Pick<HubOptions, 'cacheDir'> = {}): string {
  return options.cacheDir ?? getHFHubCachePath();
}

/** The cached snapshot folder of a repo revision, without the network; an error says what is missing where. */
export function cachedModelDir(repoId: string, options: Pick<HubOptions, 'cacheDir' | 'revision'> = {}): string {
  const revision = options.revision ?? 'main';
  const storage = join(hubCacheDir(options), `models--${repoId.split('/').join('--')}`);
  let commit = revision;
  if (!COMMIT.test(revision)) {
    const ref = join(storage, 'refs', revision);
    if (!existsSync(ref)) throw new Error(`offline: ${repoId}@${revision} is not in the cache (no ${ref})`);
    commit = readFileSync(ref, 'utf8').trim();
  }
  const snapshot = join(storage, 'snapshots', commit);
  if (!existsSync(join(snapshot, 'config.json')))
    throw new Error(`offline: ${repoId}@${revision} is not in the cache (no ${join(snapshot, 'config.json')})`);
  return snapshot;
}

/** A local model folder for `dirOrRepoId`: the directory itself, or the Hub snapshot downloaded into the cache. */
export async function resolveModelDir(dirOrRepoId: string, options: HubOptions = {}): Promise<string> {
  if (typeof dirOrRepoId !== 'string' || dirOrRepoId === '')
    throw new TypeError(`resolveModelDir: expected a model folder or a Hub repo id, got ${typeof dirOrRepoId}`);
  if (isLocalDir(dirOrRepoId)) return dirOrRepoId;
  const offline =
    options.localFilesOnly ?? ['1', 'true', 'yes'].includes((process.env.HF_HUB_OFFLINE ?? '').toLowerCase());
  if (offline) return cachedModelDir(dirOrRepoId, options);
  return downloadModelFiles(dirOrRepoId, options);
}

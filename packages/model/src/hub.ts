/**
 * Resolve a model folder: a local directory as it is, or a Hub repo id
 * downloaded through `@huggingface/hub` into the Hugging Face cache layout
 * (`<cacheDir>/models--owner--name/snapshots/<commit>/...`), so a second load
 * reads from disk.
 */
import { downloadFileToCacheDir, fileExists } from '@huggingface/hub';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repoId)) {
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
      throw new Error(`hub ${repoId}@${options.revision ?? 'main'}: downloading ${path} failed: ${(err as Error).message}`);
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
    throw new Error(`hub ${repoId}@${options.revision ?? 'main'}: the repo has neither ${SINGLE_FILE} nor ${INDEX_FILE}`);
  }
  return dirname(configPath);
}

/** A local model folder for `dirOrRepoId`: the directory itself, or the Hub snapshot downloaded into the cache. */
export async function resolveModelDir(dirOrRepoId: string, options: HubOptions = {}): Promise<string> {
  if (isLocalDir(dirOrRepoId)) return dirOrRepoId;
  return downloadModelFiles(dirOrRepoId, options);
}

/**
 * Loading a tokenizer from a Hugging Face Hub repository through @huggingface/hub,
 * with its local cache (the Hub's standard layout, shared with Python's
 * huggingface_hub: `<cacheDir>/models--owner--name/snapshots/<commit>/...`).
 */
import { readFileSync } from 'node:fs';
import { downloadFileToCacheDir } from '@huggingface/hub';

export interface HubOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** The Hub's address (default https://huggingface.co); point it at a mirror or a test server. */
  hubUrl?: string;
  accessToken?: string;
  /** Cache folder (default: $HF_HUB_CACHE or ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/** Download (or reuse from the cache) one file of a model repo; null when the repo has no such file. */
export async function hubFile(repoId: string, path: string, options: HubOptions = {}): Promise<string | null> {
  try {
    const local = await downloadFileToCacheDir({
      repo: { type: 'model', name: repoId },
      path,
      revision: options.revision,
      hubUrl: options.hubUrl,
      cacheDir: options.cacheDir,
      fetch: options.fetch,
      ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    });
    return readFileSync(local, 'utf8');
  } catch (err) {
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode === 404 || /cannot get path info/.test(e.message ?? '')) return null;
    throw new Error(`${repoId}@${options.revision ?? 'main'}: cannot download ${path}: ${e.message ?? String(err)}`, { cause: err });
  }
}

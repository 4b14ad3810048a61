/**
 * Where the Hub is, who is asking and whether to ask at all, read from the
 * same environment variables Python's huggingface_hub reads, so one shell
 * setup serves both.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getHFHubCachePath } from '@huggingface/hub';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

const TRUE = ['1', 'true', 'yes', 'on'];

/** The Hub's address: `hubUrl` if given, else $HF_ENDPOINT, else https://huggingface.co; no trailing slash. */
export function hubUrlOf(hubUrl?: string): string {
  return (hubUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/**
 * The token huggingface_hub would send: $HF_TOKEN, else the file its login
 * writes ($HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token).
 */
export function defaultAccessToken(): string | undefined {
  const env = process.env.HF_TOKEN?.trim();
  if (env) return env;
  const home = process.env.HF_HOME ?? join(homedir(), '.cache', 'huggingface');
  const path = process.env.HF_TOKEN_PATH ?? join(home, 'token');
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE set to 1 (or true, yes, on). */
export function offlineByEnv(): boolean {
  return [process.env.HF_HUB_OFFLINE, process.env.TRANSFORMERS_OFFLINE].some((v) =>
    TRUE.includes((v ?? '').toLowerCase()),
  );
}

/** The cache folder: `cacheDir` if given, else $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(cacheDir?: string): string {
  return cacheDir ?? getHFHubCachePath();
}

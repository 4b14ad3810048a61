/**
 * Resolve a model folder: a local directory as it is, or a Hub repo id
 * downloaded through `@huggingface/hub` into the Hugging Face cache layout
 * (`<cacheDir>/models--owner--name/snapshots/<commit>/...`, `refs/<revision>`,
 * `.no_exist/<commit>/<file>`, as Python's huggingface_hub lays it out), so a
 * second load reads from disk.
 */
import { downloadFileToCacheDir, getHFHubCachePath, HubApiError, modelInfo, pathsInfo } from '@huggingface/hub';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@molrl/progress';
import { INDEX_FILE, parseSafetensorsIndex, SINGLE_FILE } from './safetensors/checkpoint.js';

export interface HubOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** Hub endpoint (default: $HF_ENDPOINT, else https://huggingface.co). */
  hubUrl?: string;
  /** Cache folder (default: $HF_HUB_CACHE or ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /**
   * Access token for private and gated repos, sent as `Authorization: Bearer`
   * (default: $HF_TOKEN, else the token file huggingface_hub's login writes:
   * $HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token).
   */
  accessToken?: string;
  /** Extra files to fetch beside config.json and the weights (e.g. "generation_config.json"). */
  extraFiles?: string[];
  /** Called with each file name as its download starts. */
  onFile?: (path: string) => void;
  /**
   * Use only the local cache, never the network (default: true when
   * $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE is 1). The revision is found as a
   * snapshot commit or through `refs/<revision>`, as Python's huggingface_hub
   * lays the cache out.
   */
  localFilesOnly?: boolean;
  /** The fetch to make requests with (a proxy, extra headers); default the global one. */
  fetch?: typeof fetch;
}

/** True when `dirOrRepoId` names an existing local directory. */
export function isLocalDir(dirOrRepoId: string): boolean {
  return existsSync(dirOrRepoId) && statSync(dirOrRepoId).isDirectory();
}

const COMMIT = /^[0-9a-f]{40}$/;
const TRUE = ['1', 'true', 'yes', 'on'];

/** $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE set to 1 (true, yes, on). */
function offlineByEnv(): boolean {
  return [process.env.HF_HUB_OFFLINE, process.env.TRANSFORMERS_OFFLINE].some((v) =>
    TRUE.includes((v ?? '').toLowerCase()),
  );
}

/** The token huggingface_hub would send: $HF_TOKEN, else the login's token file. */
function defaultToken(): string | undefined {
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

function storageDir(repoId: string, cacheDir: string | undefined): string {
  return join(hubCacheDir({ cacheDir }), `models--${repoId.split('/').join('--')}`);
}

/**
 * The first file a snapshot lacks to be loadable: config.json and the
 * weights (every shard of the index), and, when `extraFiles` are given, each
 * of them or its `.no_exist` marker. Null when complete.
 */
function missingFromSnapshot(storage: string, commit: string, extraFiles: readonly string[] = []): string | null {
  const snapshot = join(storage, 'snapshots', commit);
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
  for (const extra of extraFiles) {
    if (!existsSync(join(snapshot, extra)) && !existsSync(join(storage, '.no_exist', commit, extra)))
      return join(snapshot, extra);
  }
  return null;
}

/** A Hub failure as an error naming the repo and what to do about it. */
function hubError(
  err: unknown,
  where: string,
  ctx: { repoId: string; revision: string; hubUrl: string; token: boolean; errorCode: string | null; path?: string },
): Error {
  const message = (err as Error).message;
  if (!(err instanceof HubApiError)) return new Error(`${where}: ${message}`, { cause: err });
  const { repoId, revision, hubUrl, token, errorCode } = ctx;
  let text: string;
  if (err.statusCode === 401) {
    text =
      `the Hub refused access (401): the repo is private or gated, or does not exist; ` +
      (token
        ? 'the token sent was not accepted: check it (accessToken, $HF_TOKEN or the token file) and that its account can read the repo'
        : 'no token was sent: set HF_TOKEN or pass accessToken (a token of an account that can read the repo)');
  } else if (err.statusCode === 403) {
    text =
      errorCode === 'GatedRepo' || /restricted|gated/i.test(message)
        ? `the repo is gated (403) and the token's account has not been granted access: request access at ${hubUrl}/${repoId}, then load again with that account's token`
        : `the Hub refused access (403): the token lacks read permission for this repo (${message})`;
  } else if (err.statusCode === 404 && errorCode === 'RevisionNotFound') {
    text = `revision '${revision}' does not exist on the Hub (404): check the branch, tag or commit`;
  } else if (err.statusCode === 404 && errorCode === 'EntryNotFound') {
    text = `the repo has no file ${ctx.path ?? ''} at this revision (404)`;
  } else if (err.statusCode === 404) {
    text = `the repo does not exist on the Hub (404) at ${hubUrl}: check the id; a private repo also needs a token (HF_TOKEN or accessToken)`;
  } else {
    text = `the Hub answered ${err.statusCode}: ${message}`;
  }
  return new Error(`${where}: ${text}`, { cause: err });
}

/**
 * Download config.json and the safetensors weights (single file or every
 * shard listed in the index) of a Hub model repo and return the local
 * snapshot folder holding them. The revision is resolved to its commit first
 * (one request; none for a commit already complete in the cache), and every
 * file is fetched at that commit into `snapshots/<commit>/`, so the files of
 * one load come from one commit and files already there are not fetched again.
 */
export async function downloadModelFiles(repoId: string, options: HubOptions = {}): Promise<string> {
  // The Hub's rule, and no "." or ".." component that would leave the cache folder.
  if (typeof repoId !== 'string' || !/^[\w.-]+(\/[\w.-]+)?$/.test(repoId) || /(^|\/)\.|\.\./.test(repoId)) {
    throw new Error(`'${repoId}' is neither an existing directory nor a Hub repo id (owner/name)`);
  }
  const revision = options.revision ?? 'main';
  const hubUrl = (options.hubUrl ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  const accessToken = options.accessToken ?? defaultToken();
  const storage = storageDir(repoId, options.cacheDir);
  const extraFiles = options.extraFiles ?? [];
  const where = `hub ${repoId}@${revision}`;
  // A commit complete in the cache needs no request (huggingface_hub's rule too).
  if (COMMIT.test(revision) && missingFromSnapshot(storage, revision, extraFiles) === null)
    return join(storage, 'snapshots', revision);

  // The Hub's X-Error-Code of the last failed response, which @huggingface/hub's errors drop.
  let errorCode: string | null = null;
  const baseFetch = options.fetch ?? globalThis.fetch;
  const fetchRecording: typeof fetch = async (input, init) => {
    const res = await baseFetch(input, init);
    if (!res.ok) errorCode = res.headers.get('x-error-code');
    return res;
  };
  const common = { hubUrl, accessToken, fetch: fetchRecording };
  const ctx = (path?: string) => ({ repoId, revision, hubUrl, token: !!accessToken, errorCode, path });

  let commit: string;
  let repoFiles: Set<string>;
  try {
    const info = await modelInfo({ ...common, name: repoId, revision, additionalFields: ['sha', 'filePaths'] });
    if (typeof info.sha !== 'string' || !COMMIT.test(info.sha))
      throw new Error(`the Hub gave no commit for the revision (sha ${JSON.stringify(info.sha)})`);
    commit = info.sha;
    repoFiles = new Set(info.filePaths);
  } catch (err) {
    if (err instanceof HubApiError) throw hubError(err, where, ctx());
    // The Hub cannot be reached: the cache serves the revision if it has it, as huggingface_hub does.
    try {
      return cachedModelDir(repoId, options);
    } catch (cacheErr) {
      throw new Error(
        `${where}: cannot reach ${hubUrl} (${(err as Error).message}${(err as Error).cause ? `: ${((err as Error).cause as Error).message}` : ''}), and ${(cacheErr as Error).message.replace(/^offline: [^ ]+ /, 'it ')}: check the connection or HF_ENDPOINT`,
        // eslint-disable-next-line preserve-caught-error -- the Hub's failure is the cause; the cache miss is in the message
        { cause: err },
      );
    }
  }
  const snapshot = join(storage, 'snapshots', commit);

  if (missingFromSnapshot(storage, commit, extraFiles) !== null) {
    const weights: string[] = [];
    if (!repoFiles.has('config.json')) throw new Error(`${where}: the repo has no config.json at commit ${commit}`);
    if (repoFiles.has(INDEX_FILE)) weights.push(INDEX_FILE);
    else if (repoFiles.has(SINGLE_FILE)) weights.push(SINGLE_FILE);
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
    const present = [...extraFiles.filter((f) => repoFiles.has(f))];
    const wanted = ['config.json', ...present, ...weights];
    // Sizes to check each download against (one request): a body cut short without an error must not pass as the file.
    let sizes = new Map<string, number>();
    const sizesOf = async (paths: string[]) => {
      try {
        const infos = await pathsInfo({ ...common, repo: { type: 'model', name: repoId }, paths, revision: commit });
        sizes = new Map(infos.map((i) => [i.path, i.lfs?.size ?? i.size]));
      } catch (err) {
        throw hubError(err, where, ctx());
      }
    };
    const fetchFile = async (path: string): Promise<string> => {
      if (!existsSync(join(snapshot, path))) options.onFile?.(path);
      let local: string;
      try {
        local = await downloadFileToCacheDir({
          ...common,
          repo: { type: 'model', name: repoId },
          path,
          revision: commit,
          cacheDir: options.cacheDir,
        });
      } catch (err) {
        throw hubError(err, `${where}: downloading ${path} failed`, ctx(path));
      }
      const expected = sizes.get(path);
      const got = (await stat(local)).size;
      if (expected !== undefined && got !== expected) {
        // Neither the blob nor the snapshot's link to it may stay: a later load would take it as the file.
        await rm(realpathSync(local), { force: true });
        await rm(local, { force: true });
        throw new Error(
          `${where}: downloading ${path} failed: got ${got} of its ${expected} bytes (the transfer was cut short); load again to download it anew`,
        );
      }
      return local;
    };
    await sizesOf(wanted);
    for (const f of ['config.json', ...present]) await fetchFile(f);
    for (const extra of extraFiles.filter((f) => !repoFiles.has(f))) {
      // Recorded as huggingface_hub does, so a later load does not ask again.
      const marker = join(storage, '.no_exist', commit, extra);
      await mkdir(dirname(marker), { recursive: true });
      await writeFileAtomic(marker, '');
    }
    if (weights[0] === INDEX_FILE) {
      const indexPath = await fetchFile(INDEX_FILE);
      const index = parseSafetensorsIndex(await readFile(indexPath, 'utf8'), `${repoId}/${INDEX_FILE}`);
      const shards = [...new Set(Object.values(index.weight_map))].sort();
      const absent = shards.filter((s) => !repoFiles.has(s));
      if (absent.length)
        throw new Error(
          `${where}: ${INDEX_FILE} lists ${absent.join(', ')}, which the repo does not have at commit ${commit}`,
        );
      await sizesOf(shards);
      for (const shard of shards) await fetchFile(shard);
    } else {
      await fetchFile(SINGLE_FILE);
    }
  }
  // Record which commit the revision pointed to (refs/<revision>, as huggingface_hub does), for offline loads.
  if (!COMMIT.test(revision)) {
    const ref = join(storage, 'refs', revision);
    await mkdir(dirname(ref), { recursive: true });
    await writeFileAtomic(ref, commit);
  }
  return snapshot;
}

/** The cache folder: options.cacheDir, else @huggingface/hub's (and Python's) default ($HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub). */
export function hubCacheDir(options: Pick<HubOptions, 'cacheDir'> = {}): string {
  return options.cacheDir ?? getHFHubCachePath();
}

/**
 * The cached snapshot folder of a repo revision, without the network: it must
 * hold config.json and every weight file (a download cut short leaves none of
 * them); an error says what is missing where.
 */
export function cachedModelDir(repoId: string, options: Pick<HubOptions, 'cacheDir' | 'revision'> = {}): string {
  const revision = options.revision ?? 'main';
  const storage = storageDir(repoId, options.cacheDir);
  let commit = revision;
  if (!COMMIT.test(revision)) {
    const ref = join(storage, 'refs', revision);
    if (!existsSync(ref)) throw new Error(`offline: ${repoId}@${revision} is not in the cache (no ${ref})`);
    commit = readFileSync(ref, 'utf8').trim();
  }
  const missing = missingFromSnapshot(storage, commit);
  if (missing !== null) throw new Error(`offline: ${repoId}@${revision} is not in the cache (no ${missing})`);
  return join(storage, 'snapshots', commit);
}

/** A local model folder for `dirOrRepoId`: the directory itself, or the Hub snapshot downloaded into the cache. */
export async function resolveModelDir(dirOrRepoId: string, options: HubOptions = {}): Promise<string> {
  if (typeof dirOrRepoId !== 'string' || dirOrRepoId === '')
    throw new TypeError(`resolveModelDir: expected a model folder or a Hub repo id, got ${typeof dirOrRepoId}`);
  if (isLocalDir(dirOrRepoId)) return dirOrRepoId;
  if (options.localFilesOnly ?? offlineByEnv()) return cachedModelDir(dirOrRepoId, options);
  return downloadModelFiles(dirOrRepoId, options);
}

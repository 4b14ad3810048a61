/**
 * One load's view of a Hub repo: its revision resolved to one commit (one
 * request), and every file fetched at that commit into `snapshots/<commit>/`,
 * so the files of a load come from one commit even while a branch moves.
 * Downloads are checked against the size the Hub lists (a body cut short
 * without an error must not pass as the file) and locked per blob against
 * another process downloading the same one.
 */
import { createWriteStream, existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { datasetInfo, downloadFile, HubApiError, listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import { startProgress, type ProgressOptions } from '@molrl/progress';
import { withDownloadLock } from './download-lock.js';
import { defaultAccessToken, hubUrlOf } from './environment.js';
import { errorDetail, hubFailure, type HubFailureContext } from './hub-error.js';
import { byPath, type HubFileInfo } from './hub-file.js';
import type { OptionKeys } from './option-names.js';
import { RepoCache } from './repo-cache.js';
import { checkRepo, isCommit, isRepoPath, type HubRepo } from './repo-id.js';

export interface HubAccessOptions {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** The Hub's address (default: $HF_ENDPOINT, else https://huggingface.co); a mirror or a test server. */
  hubUrl?: string;
  /**
   * Token for private and gated repos, sent as `Authorization: Bearer`
   * (default: $HF_TOKEN, else the token file huggingface_hub's login writes).
   */
  accessToken?: string;
  /** Cache folder (default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** The fetch to make requests with (a proxy, extra headers); default the global one. */
  fetch?: typeof fetch;
}

/** The keys of HubAccessOptions, for loaders that refuse the keys they do not know (`checkOptionNames`). */
export const HUB_ACCESS_OPTION_KEYS = {
  revision: true,
  hubUrl: true,
  accessToken: true,
  cacheDir: true,
  fetch: true,
} as const satisfies OptionKeys<HubAccessOptions>;

export interface HubSnapshotOptions extends HubAccessOptions {
  /** Also ask for the list of the repo's files in the same request (models only). */
  withFilePaths?: boolean;
  /** Called with a file's path as its download starts (not for files already cached). */
  onFile?: (path: string) => void;
  /** Called when a download waits for another process downloading the same file. */
  onWait?: (path: string) => void;
  /** After how long without a refresh another process's download lock counts as abandoned (default 20 s). */
  lockStaleMs?: number;
  /** Called as a download's bytes arrive: the file, the bytes so far, its size. */
  onBytes?: (path: string, received: number, size: number) => void;
}

/** Downloads of at least this many bytes show progress unless told otherwise (`downloadAll`). */
export const DOWNLOAD_PROGRESS_THRESHOLD = 100 * 2 ** 20;

export interface DownloadAllOptions {
  /**
   * Show progress on stderr (a bar with rate and ETA on a terminal, log lines
   * otherwise) over the bytes to download. Default: when they reach 100 MiB.
   */
  progress?: boolean;
  /** Where and how progress is shown (default stderr, 'auto'). */
  progressOptions?: Omit<ProgressOptions, 'unit'>;
}

type Entry = { path: string; size: number; oid?: string; lfs?: { oid: string; size: number }; xetHash?: string };

function fileInfo(entry: Entry, where: string): HubFileInfo {
  const etag = entry.lfs?.oid ?? entry.xetHash ?? entry.oid;
  // The blob's name in the cache: without it no file can be placed where huggingface_hub would look.
  if (typeof etag !== 'string' || !/^[\w-]+$/.test(etag))
    throw new Error(`${where}: the Hub listed ${entry.path} without a usable oid (${JSON.stringify(etag)})`);
  return { path: entry.path, size: entry.lfs?.size ?? entry.size, etag };
}

export class HubSnapshot {
  /** The repo's folder in the cache. */
  readonly cache: RepoCache;
  /** The folder of this commit's files in the cache (`snapshots/<commit>`). */
  readonly dir: string;

  private constructor(
    readonly repo: HubRepo,
    /** The revision asked for. */
    readonly revision: string,
    /** The commit it named when resolved. */
    readonly commit: string,
    /** The repo's files at the commit, when asked for (`withFilePaths`). */
    readonly filePaths: ReadonlySet<string> | undefined,
    private readonly options: HubSnapshotOptions,
    private readonly request: { hubUrl: string; accessToken?: string; fetch: typeof fetch },
    private readonly lastErrorCode: () => string | null,
  ) {
    this.cache = new RepoCache(repo, options.cacheDir);
    this.dir = this.cache.snapshotDir(commit);
  }

  /** "owner/name@revision", how errors name the load. */
  get where(): string {
    return `${this.repo.name}@${this.revision}`;
  }

  /**
   * Resolve `options.revision` (default main) to the commit it names now (one
   * request; callers skip it when the cache already holds a commit's files).
   * An HTTP failure throws a `HubError` saying what to do, an unreachable Hub a
   * `HubUnreachableError` (callers may then read the cache: `RepoCache.commitOf`).
   */
  static async resolve(repo: HubRepo, options: HubSnapshotOptions = {}): Promise<HubSnapshot> {
    checkRepo(repo, 'HubSnapshot.resolve');
    if (options.withFilePaths && repo.type !== 'model')
      throw new TypeError(`HubSnapshot.resolve: withFilePaths is for model repos (${repo.name} is a ${repo.type})`);
    const revision = options.revision ?? 'main';
    const hubUrl = hubUrlOf(options.hubUrl);
    const accessToken = options.accessToken ?? defaultAccessToken();
    // The Hub's X-Error-Code of the last failed response, which @huggingface/hub's errors drop.
    let errorCode: string | null = null;
    const baseFetch = options.fetch ?? globalThis.fetch;
    const recording: typeof fetch = async (input, init) => {
      const res = await baseFetch(input, init);
      if (!res.ok) errorCode = res.headers.get('x-error-code');
      return res;
    };
    const request = { hubUrl, fetch: recording, ...(accessToken ? { accessToken } : {}) };
    const context = (): HubFailureContext => ({ repo, revision, hubUrl, token: !!accessToken, errorCode });
    const where = `${repo.name}@${revision}`;
    let commit: string;
    let filePaths: Set<string> | undefined;
    try {
      const fields = options.withFilePaths ? (['sha', 'filePaths'] as const) : (['sha'] as const);
      const info =
        repo.type === 'model'
          ? await modelInfo({ ...request, name: repo.name, revision, additionalFields: [...fields] })
          : await datasetInfo({ ...request, name: repo.name, revision, additionalFields: ['sha'] });
      const sha = (info as { sha?: unknown }).sha;
      if (typeof sha !== 'string' || !isCommit(sha))
        throw new Error(`the Hub gave no commit for the revision (sha ${JSON.stringify(sha)})`);
      commit = sha;
      if (options.withFilePaths) filePaths = new Set((info as { filePaths?: string[] }).filePaths ?? []);
    } catch (err) {
      throw hubFailure(err, where, context());
    }
    return new HubSnapshot(repo, revision, commit, filePaths, options, request, () => errorCode);
  }

  private context(path?: string): HubFailureContext {
    return {
      repo: this.repo,
      revision: this.revision,
      hubUrl: this.request.hubUrl,
      token: !!this.request.accessToken,
      errorCode: this.lastErrorCode(),
      path,
    };
  }

  /** The files among `paths` the repo has at the commit (one request); a path it lacks is not in the map. */
  async describe(paths: readonly string[]): Promise<Map<string, HubFileInfo>> {
    for (const path of paths)
      if (!isRepoPath(path))
        throw new TypeError(`${this.where}: ${JSON.stringify(path)} is not a file path in the repository`);
    if (paths.length === 0) return new Map();
    let infos: Entry[];
    try {
      infos = (await pathsInfo({ ...this.request, repo: this.repo, paths: [...paths], revision: this.commit })).filter(
        (i) => i.type === 'file',
      );
    } catch (err) {
      throw hubFailure(err, this.where, this.context());
    }
    return new Map(infos.map((i) => [i.path, fileInfo(i, this.where)]));
  }

  /**
   * Every file of the repo at the commit that `keep` accepts, in path order. The
   * whole listing is recorded in the cache (`RepoCache.recordListing`), so a
   * later load without the network can check the files it has.
   */
  async list(keep: (path: string) => boolean = () => true): Promise<HubFileInfo[]> {
    const entries: Entry[] = [];
    try {
      for await (const entry of listFiles({ ...this.request, repo: this.repo, recursive: true, revision: this.commit }))
        if (entry.type === 'file') entries.push(entry);
    } catch (err) {
      throw hubFailure(err, this.where, this.context());
    }
    const files = entries.map((entry) => fileInfo(entry, this.where));
    await this.cache.recordListing(this.commit, files);
    return files.filter((f) => keep(f.path)).sort(byPath);
  }

  /**
   * The local path of `file` at the commit: from the cache, or downloaded into
   * it. A transfer cut short leaves neither blob nor link behind and throws.
   */
  async download(file: HubFileInfo): Promise<string> {
    return this.fetchLocked(file, this.options.onBytes);
  }

  private async fetchLocked(file: HubFileInfo, onBytes: HubSnapshotOptions['onBytes']): Promise<string> {
    const cached = this.localFile(file.path);
    if (cached !== null) return this.checkSize(cached, file);
    return withDownloadLock(
      this.cache.lockPath(file.etag),
      async () => {
        // Another process may have brought it while this one waited: then no download.
        const now = this.localFile(file.path);
        if (now !== null) return this.checkSize(now, file);
        return this.checkSize(await this.fetchInto(file, onBytes), file);
      },
      { staleMs: this.options.lockStaleMs, onWait: () => this.options.onWait?.(file.path) },
    );
  }

  /**
   * Bring `file` into the cache as huggingface_hub lays it out: the content in
   * `blobs/<etag>` (written to `<etag>.incomplete`, checked against its size,
   * then renamed), and `snapshots/<commit>/<path>` a relative link to it (a copy
   * where links are not allowed). A blob another commit brought is linked, not
   * fetched again.
   */
  private async fetchInto(file: HubFileInfo, onBytes: HubSnapshotOptions['onBytes']): Promise<string> {
    const pointer = join(this.dir, file.path);
    const blob = join(this.cache.folder, 'blobs', file.etag);
    await mkdir(dirname(blob), { recursive: true });
    await mkdir(dirname(pointer), { recursive: true });
    if (!existsSync(blob)) {
      this.options.onFile?.(file.path);
      const incomplete = `${blob}.incomplete`;
      const failed = `${this.where}: downloading ${file.path} failed`;
      try {
        const content = await downloadFile({
          ...this.request,
          repo: this.repo,
          path: file.path,
          revision: this.commit,
        });
        if (!content) throw new Error(`the repo has no file ${file.path} at commit ${this.commit}`);
        const source = Readable.fromWeb(content.stream() as WebReadableStream);
        if (onBytes) {
          let received = 0;
          const counted = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              received += chunk.length;
              try {
                onBytes(file.path, received, file.size);
              } catch (err) {
                // A callback that throws ends the download with its error (thrown here, it would stall the stream).
                return done(err as Error);
              }
              done(null, chunk);
            },
          });
          await pipeline(source, counted, createWriteStream(incomplete));
        } else {
          await pipeline(source, createWriteStream(incomplete));
        }
      } catch (err) {
        await rm(incomplete, { force: true });
        // An HTTP refusal says what to do; a transfer that broke off says what broke it.
        if (err instanceof HubApiError) throw hubFailure(err, failed, this.context(file.path));
        throw new Error(`${failed}: ${errorDetail(err)}; load again to download it anew`, { cause: err });
      }
      const got = (await stat(incomplete)).size;
      if (got !== file.size) {
        await rm(incomplete, { force: true });
        throw this.cutShort(file, got);
      }
      await rename(incomplete, blob);
    }
    await rm(pointer, { force: true });
    try {
      await symlink(relative(dirname(pointer), blob), pointer);
    } catch {
      await copyFile(blob, pointer);
    }
    return pointer;
  }

  /**
   * Every file of `files` (in order), from the cache or downloaded, with one
   * progress display over the bytes still to fetch (see `DownloadAllOptions`).
   */
  async downloadAll(files: readonly HubFileInfo[], options: DownloadAllOptions = {}): Promise<string[]> {
    const toFetch = new Set(files.filter((f) => this.localFile(f.path) === null));
    const total = [...toFetch].reduce((sum, f) => sum + f.size, 0);
    const show = toFetch.size > 0 && (options.progress ?? total >= DOWNLOAD_PROGRESS_THRESHOLD);
    if (!show) {
      const local: string[] = [];
      for (const file of files) local.push(await this.download(file));
      return local;
    }
    const MiB = 2 ** 20;
    const bar = startProgress(`downloading ${this.where}`, Math.ceil(total / MiB), {
      ...options.progressOptions,
      unit: 'MiB',
    });
    let finished = 0;
    let shown = -1;
    const report = (bytes: number, detail: string) => {
      // Whole MiB as they fill; the total once every byte is in (a small last file still ends at 100%).
      const mib = bytes >= total ? Math.ceil(total / MiB) : Math.floor(bytes / MiB);
      if (mib !== shown) bar.update(mib, detail);
      shown = mib;
    };
    const onBytes = this.options.onBytes;
    const local: string[] = [];
    try {
      for (const file of files) {
        const fetching = toFetch.has(file);
        local.push(
          await this.fetchLocked(file, (path, received, size) => {
            onBytes?.(path, received, size);
            report(finished + received, path);
          }),
        );
        if (fetching) finished += file.size;
        report(finished, file.path);
      }
    } finally {
      bar.stop();
    }
    return local;
  }

  /** The snapshot's local file for `path`, or null when it is not there (or marked absent). */
  private localFile(path: string): string | null {
    const at = this.cache.fileAt(this.commit, path);
    return at === 'absent' ? null : at;
  }

  private async checkSize(local: string, file: HubFileInfo): Promise<string> {
    const got = (await stat(local)).size;
    if (got === file.size) return local;
    // Neither the blob nor the snapshot's link to it may stay: a later load would take it as the file.
    await rm(realpathSync(local), { force: true });
    await rm(local, { force: true });
    throw this.cutShort(file, got);
  }

  private cutShort(file: HubFileInfo, got: number): Error {
    return new Error(
      `${this.where}: downloading ${file.path} failed: got ${got} of its ${file.size} bytes (the transfer was cut short); load again to download it anew`,
    );
  }

  /** Record that the repo has no `path` at the commit, so no later load (or offline one) asks again. */
  markAbsent(path: string): Promise<void> {
    return this.cache.markAbsent(this.commit, path);
  }

  /** Record which commit the revision named (`refs/<revision>`), once the load is complete. */
  recordRevision(): Promise<void> {
    return this.cache.recordRevision(this.revision, this.commit);
  }
}

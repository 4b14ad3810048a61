/**
 * Streaming readers. JSONL is read line by line (node:readline), Parquet one row
 * group at a time (hyparquet, reading only that group's byte ranges), so a large
 * file is never held whole. A row that cannot be read or parsed is reported with
 * its file, row number and reason and skipped: a bad row never stops a file.
 * Hub data sets are fetched file by file with @molrl/hub-cache into the Hub's
 * cache layout, all at the one commit the revision names, then streamed from there.
 */
import { createReadStream, existsSync, statSync, readdirSync } from 'node:fs';
import { join, basename } from 'node:path';
import { createInterface } from 'node:readline';
import { onlineOrCached, RepoCache, type OnlineOrCachedOptions } from '@molrl/hub-cache';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { parseTrace, TraceParseError, type TraceSchema } from './parse-trace.js';
import type { Trace } from './types.js';

export type RowEvent =
  | { kind: 'row'; file: string; row: number; value: Record<string, unknown> }
  | { kind: 'bad'; file: string; row: number; reason: string };

export type FileFormat = 'jsonl' | 'parquet';

export function formatOf(path: string): FileFormat {
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  throw new Error(`${path}: unknown format (expected .jsonl, .ndjson or .parquet)`);
}

/** Rows of a JSONL file, one line at a time; row numbers are 1-based line numbers. */
export async function* readJsonlRows(path: string): AsyncGenerator<RowEvent> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let row = 0;
  for await (const raw of lines) {
    row++;
    // A UTF-8 byte order mark (some editors and Windows tools write one) is not part of the first row.
    const line = row === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      yield { kind: 'bad', file: path, row, reason: `not JSON (${(err as Error).message})` };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { kind: 'bad', file: path, row, reason: 'not a JSON object' };
      continue;
    }
    yield { kind: 'row', file: path, row, value: value as Record<string, unknown> };
  }
}

/** Rows of a Parquet file, one row group at a time; row numbers are 0-based row indices. */
export async function* readParquetRows(path: string, options: { columns?: string[] } = {}): AsyncGenerator<RowEvent> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    let rows: Array<Record<string, unknown>>;
    try {
      rows = (await parquetReadObjects({
        file,
        metadata,
        rowStart: start,
        rowEnd: end,
        columns: options.columns,
      })) as Array<Record<string, unknown>>;
    } catch (err) {
      // A damaged row group: report its rows, go on with the next group.
      yield {
        kind: 'bad',
        file: path,
        row: start,
        reason: `row group of rows ${start}..${end - 1} unreadable (${(err as Error).message})`,
      };
      start = end;
      continue;
    }
    for (let i = 0; i < rows.length; i++) yield { kind: 'row', file: path, row: start + i, value: rows[i]! };
    start = end;
  }
}

export function readRows(path: string): AsyncGenerator<RowEvent> {
  return formatOf(path) === 'parquet' ? readParquetRows(path) : readJsonlRows(path);
}

export interface HubSource extends Omit<OnlineOrCachedOptions, 'withFilePaths'> {
  /** Data set repo id, e.g. "smolagents/codeagent-traces". */
  repo: string;
  /** Files to read: a path prefix or a predicate over repo paths (default: every .parquet/.jsonl under data/). */
  files?: string | ((path: string) => boolean);
  /**
   * Show the download on stderr (a bar with rate and ETA on a terminal, log lines
   * otherwise). Default: when the files to fetch reach 100 MiB.
   */
  progress?: boolean;
  /**
   * Read the cache only, never the network (default: true when $HF_HUB_OFFLINE or
   * $TRANSFORMERS_OFFLINE is 1). The revision's commit (`refs/<revision>`) must have
   * been listed online once, and every file the selection names be cached whole.
   * When the Hub cannot be reached, the cache is read the same way.
   */
  localFilesOnly?: boolean;
}

/**
 * Download a Hub data set's data files (or reuse the cache); returns local paths in repo order.
 * A branch or tag is resolved to its commit first (one request), and the files are listed and
 * fetched at that commit, into `datasets--owner--name/snapshots/<commit>/`, so they all come
 * from one commit; the commit is recorded in `refs/<revision>` as huggingface_hub does. Each
 * download is checked against the size the listing gives, and two processes reading the same
 * data set download each file once.
 */
export async function hubDataFiles(source: HubSource): Promise<string[]> {
  const wanted =
    typeof source.files === 'function'
      ? source.files
      : (p: string) =>
          /\.(parquet|jsonl|ndjson)$/i.test(p) &&
          p.startsWith(typeof source.files === 'string' ? source.files : 'data/');
  const repo = { type: 'dataset' as const, name: source.repo };
  const revision = source.revision ?? 'main';
  const looked = `looked for ${typeof source.files === 'string' ? source.files : typeof source.files === 'function' ? 'the files the predicate accepts' : 'data/*.parquet|jsonl'}`;
  const fromCache = (): string[] => {
    const local = new RepoCache(repo, source.cacheDir).cachedFiles(revision, wanted);
    if (local.length === 0) throw new Error(`${source.repo}@${revision}: no cached data files match (${looked})`);
    return local;
  };
  // Offline, or with the Hub unreachable, the cache serves the revision if it holds the whole selection.
  return onlineOrCached(
    repo,
    source,
    async (snapshot) => {
      const files = await snapshot.list(wanted);
      if (files.length === 0) throw new Error(`${snapshot.where}: no data files match (${looked})`);
      const local = await snapshot.downloadAll(files, { progress: source.progress });
      await snapshot.recordRevision();
      return local;
    },
    fromCache,
  );
}

/** A local file, a local folder (its .jsonl/.parquet files), or a Hub data set. */
export type TraceSource = string | HubSource;

export async function resolveSource(source: TraceSource): Promise<string[]> {
  if (typeof source !== 'string') return hubDataFiles(source);
  if (!existsSync(source)) throw new Error(`${source}: no such file or folder`);
  if (statSync(source).isDirectory()) {
    const files = readdirSync(source, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(parquet|jsonl|ndjson)$/i.test(f))
      .sort()
      .map((f) => join(source, f));
    if (files.length === 0) throw new Error(`${source}: no .jsonl or .parquet files`);
    return files;
  }
  return [source];
}

export interface RejectedRow {
  file: string;
  row: number;
  reason: string;
}

export type TraceEvent =
  { kind: 'trace'; trace: Trace; file: string; row: number } | ({ kind: 'rejected' } & RejectedRow);

/** Parsed traces of a source, in file and row order; unparseable rows come as `rejected` events. */
export async function* readTraces(source: TraceSource, schema: TraceSchema = {}): AsyncGenerator<TraceEvent> {
  if (typeof source !== 'string' && (typeof source !== 'object' || source === null || typeof source.repo !== 'string'))
    throw new TypeError(`readTraces: source must be a path or a Hub source { repo }, got ${typeof source}`);
  if (typeof schema !== 'object' || schema === null)
    throw new TypeError(`readTraces: schema must be an object, got ${schema === null ? 'null' : typeof schema}`);
  for (const file of await resolveSource(source)) {
    const name = basename(file);
    for await (const event of readRows(file)) {
      if (event.kind === 'bad') {
        yield { kind: 'rejected', file: event.file, row: event.row, reason: event.reason };
        continue;
      }
      try {
        yield {
          kind: 'trace',
          trace: parseTrace(event.value, event.row, name, schema),
          file: event.file,
          row: event.row,
        };
      } catch (err) {
        if (!(err instanceof TraceParseError)) throw err;
        yield { kind: 'rejected', file: event.file, row: event.row, reason: err.reason };
      }
    }
  }
}

/**
 * Benchmark problems: the sets shipped with the package (MATH-500, AIME24,
 * AIME25), any JSONL file with problem/answer fields, and the same sets from
 * the Hugging Face Hub (JSONL or Parquet files of a dataset repo, through the Hub cache).
 */
import { readFile } from 'node:fs/promises';
import {
  checkOptionNames,
  HUB_LOAD_OPTION_KEYS,
  onlineOrCached,
  RepoCache,
  type OnlineOrCachedOptions,
  type OptionKeys,
} from '@molrl/hub-cache';
import { parquetReadObjects } from 'hyparquet';

export interface Problem {
  /** Stable id within the benchmark (MATH: unique_id; AIME: id; else the row number). */
  id: string;
  problem: string;
  /** The gold final answer (LaTeX). */
  answer: string;
  /** MATH only. */
  subject?: string;
  level?: number;
}

export interface Benchmark {
  name: string;
  problems: Problem[];
}

export const BUILTIN_BENCHMARKS = ['math500', 'aime24', 'aime25'] as const;
export type BuiltinBenchmark = (typeof BUILTIN_BENCHMARKS)[number];

export class DatasetError extends Error {}

export interface RowFields {
  /** Field with the problem text (default: the first of problem, question, prompt). */
  problemField?: string;
  /** Field with the gold answer (default: the first of answer, final_answer, solution_answer). */
  answerField?: string;
  /** Field with the id (default: unique_id, id, else the row number). */
  idField?: string;
}

const ROW_FIELD_KEYS = { problemField: true, answerField: true, idField: true } satisfies OptionKeys<RowFields>;

function pick(row: Record<string, unknown>, explicit: string | undefined, defaults: string[]): string | undefined {
  if (explicit !== undefined) return explicit in row ? explicit : undefined;
  return defaults.find((f) => f in row);
}

/**
 * Rows (objects) -> problems, with errors naming the source, row and field.
 * `placeOf(i)` says where row i came from (default `<where>, row <i + 1>`; a
 * JSONL file's loader gives its line, which blank lines make differ).
 */
export function rowsToProblems(
  rows: unknown[],
  where: string,
  fields: RowFields = {},
  placeOf: (index: number) => string = (i) => `${where}, row ${i + 1}`,
): Problem[] {
  checkOptionNames(fields, Object.keys(ROW_FIELD_KEYS), 'rowsToProblems');
  return rows.map((raw, i) => {
    const at = placeOf(i);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new DatasetError(`${at}: expected an object`);
    const row = raw as Record<string, unknown>;
    const pf = pick(row, fields.problemField, ['problem', 'question', 'prompt']);
    const af = pick(row, fields.answerField, ['answer', 'final_answer', 'solution_answer']);
    if (!pf)
      throw new DatasetError(`${at}: no problem field (${fields.problemField ?? 'problem, question or prompt'})`);
    if (!af)
      throw new DatasetError(
        `${at}: no answer field (${fields.answerField ?? 'answer, final_answer or solution_answer'})`,
      );
    const problem = row[pf];
    let answer = row[af];
    if (typeof problem !== 'string' || problem.trim() === '')
      throw new DatasetError(`${at}: field "${pf}" must be a non-empty string`);
    if (typeof answer === 'number' || typeof answer === 'bigint') answer = String(answer);
    if (typeof answer !== 'string' || answer.trim() === '')
      throw new DatasetError(`${at}: field "${af}" must be a non-empty string or a number`);
    const idf = pick(row, fields.idField, ['unique_id', 'id']);
    const id = idf !== undefined && row[idf] !== undefined && row[idf] !== null ? String(row[idf]) : String(i);
    const p: Problem = { id, problem, answer };
    if (typeof row.subject === 'string') p.subject = row.subject;
    if (typeof row.level === 'number' || typeof row.level === 'bigint') p.level = Number(row.level);
    else if (typeof row.level === 'string' && /^\d+$/.test(row.level)) p.level = Number(row.level);
    return p;
  });
}

/** Parse JSONL text; a malformed line is an error naming the source and line. */
export function parseJsonl(text: string, where: string): unknown[] {
  return parseJsonlLines(text, where).map((r) => r.value);
}

/** Each row of JSONL text with its 1-based line number (blank lines are skipped, so rows and lines differ). */
export function parseJsonlLines(text: string, where: string): Array<{ value: unknown; line: number }> {
  if (typeof text !== 'string')
    throw new TypeError(`parseJsonl: ${where}: expected the file's text, got ${typeof text}`);
  const out: Array<{ value: unknown; line: number }> = [];
  // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first row.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push({ value: JSON.parse(line), line: i + 1 });
    } catch (err) {
      throw new DatasetError(`${where}, line ${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  });
  return out;
}

/** Problems from rows that each know their place (a file and line, or a file and row). */
function placedProblems(
  rows: ReadonlyArray<{ value: unknown; place: string }>,
  where: string,
  fields: RowFields,
): Problem[] {
  return rowsToProblems(
    rows.map((r) => r.value),
    where,
    fields,
    (i) => rows[i]!.place,
  );
}

const jsonlRows = (text: string, where: string) =>
  parseJsonlLines(text, where).map((r) => ({ value: r.value, place: `${where}, line ${r.line}` }));

/** A JSONL file of problems. */
export async function loadJsonl(path: string, fields: RowFields = {}): Promise<Benchmark> {
  checkOptionNames(fields, Object.keys(ROW_FIELD_KEYS), 'loadJsonl');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new DatasetError(`${path}: is a folder, not a JSONL file`);
    if (code === 'ENOENT') throw new DatasetError(`${path}: no such file`);
    throw err;
  }
  return {
    name: path.replace(/^.*[\\/]/, '').replace(/\.jsonl$/, ''),
    problems: placedProblems(jsonlRows(text, path), path, fields),
  };
}

/** One of the sets shipped with the package: works offline. */
export async function loadBuiltin(name: BuiltinBenchmark): Promise<Benchmark> {
  if (!BUILTIN_BENCHMARKS.includes(name))
    throw new DatasetError(`unknown benchmark "${String(name)}" (expected one of ${BUILTIN_BENCHMARKS.join(', ')})`);
  const url = new URL(`../data/${name}.jsonl`, import.meta.url);
  const text = await readFile(url, 'utf8');
  return { name, problems: placedProblems(jsonlRows(text, url.pathname), url.pathname, {}) };
}

export interface HubDatasetOptions extends RowFields, Omit<OnlineOrCachedOptions, 'withFilePaths'> {
  /** Which split's files to read (default "test", or the only data file when there is one); files are matched by name. */
  split?: string;
  /** Show the download on stderr (a bar or log lines). Default: when the files to fetch reach 100 MiB. */
  progress?: boolean;
  /**
   * Read the cache only, never the network (default: true when $HF_HUB_OFFLINE or
   * $TRANSFORMERS_OFFLINE is 1): the revision's commit must have been listed online
   * once and the split's files be cached whole. When the Hub cannot be reached, the
   * cache is read the same way.
   */
  localFilesOnly?: boolean;
}

const HUB_DATASET_OPTION_KEYS = {
  ...ROW_FIELD_KEYS,
  ...HUB_LOAD_OPTION_KEYS,
  split: true,
  progress: true,
} satisfies OptionKeys<HubDatasetOptions>;

/**
 * A benchmark from a Hub dataset repo, e.g. `HuggingFaceH4/MATH-500`: the
 * split's JSONL or Parquet files (`test.jsonl`, `data/test-00000-of-00001.parquet`),
 * all read at the one commit the revision names (resolved first), through the
 * Hub cache (`datasets--owner--name/snapshots/<commit>/`, shared with Python's
 * huggingface_hub), so a second load reads from disk.
 */
export async function loadBenchmark(repo: string, options: HubDatasetOptions = {}): Promise<Benchmark> {
  checkOptionNames(options, Object.keys(HUB_DATASET_OPTION_KEYS), 'loadBenchmark');
  const split = options.split ?? 'test';
  const revision = options.revision ?? 'main';
  const dataset = { type: 'dataset' as const, name: repo };
  const isData = (p: string) => /\.(jsonl|parquet)$/.test(p);
  /** The split's files among the repo's data files. */
  const choose = (paths: string[]): string[] => {
    const splitFiles = paths.filter((p) => new RegExp(`(^|/)${split}([-_.]|/)`).test(p));
    // A repo with a single data file and no split asked for: that file.
    const chosen = splitFiles.length > 0 ? splitFiles : paths.length === 1 && options.split === undefined ? paths : [];
    if (chosen.length === 0)
      throw new DatasetError(
        `${repo}: no JSONL or Parquet file for split "${split}" (files: ${paths.join(', ') || 'none'})`,
      );
    return chosen;
  };
  const fromCache = (): { chosen: string[]; locals: string[] } => {
    const cache = new RepoCache(dataset, options.cacheDir);
    const chosen = choose(
      cache
        .cachedListing(revision)
        .files.map((f) => f.path)
        .filter(isData),
    );
    return { chosen, locals: cache.cachedFiles(revision, (p) => chosen.includes(p)) };
  };

  // A branch or tag is resolved to its commit once, and the files are listed and read at that
  // commit: a branch that moves during the load cannot mix its old and new files. Offline, or with
  // the Hub unreachable, the cache serves the revision if it holds the split whole.
  const read = await onlineOrCached(
    dataset,
    options,
    async (snapshot) => {
      const files = await snapshot.list(isData);
      const chosen = choose(files.map((f) => f.path));
      // Each checked against the size the listing gives: a body cut short must not pass as the file.
      const locals = await snapshot.downloadAll(
        files.filter((f) => chosen.includes(f.path)),
        { progress: options.progress },
      );
      await snapshot.recordRevision();
      return { chosen, locals };
    },
    fromCache,
  );
  const rows: Array<{ value: unknown; place: string }> = [];
  for (const [i, path] of read.chosen.entries()) {
    const local = read.locals[i]!;
    const where = `${repo}/${path}`;
    if (path.endsWith('.jsonl')) rows.push(...jsonlRows(await readFile(local, 'utf8'), where));
    else {
      const bytes = await readFile(local);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      const objects = await parquetReadObjects({ file: buffer });
      rows.push(...objects.map((value, r) => ({ value, place: `${where}, row ${r + 1}` })));
    }
  }
  const { problemField, answerField, idField } = options;
  return { name: repo, problems: placedProblems(rows, repo, { problemField, answerField, idField }) };
}

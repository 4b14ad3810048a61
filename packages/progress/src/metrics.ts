/**
 * Metrics as JSONL: one object per line, appended as it happens, so a run that
 * stops half-way keeps every line written before it and a plot can be made
 * from the file at any time.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export type MetricValue = number | string | boolean | null;
export type MetricRecord = Record<string, MetricValue>;

/** `value` as an error message shows it: strings quoted, everything else by `String`. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export class MetricsWriter {
  constructor(readonly path: string) {
    if (typeof path !== 'string' || path === '')
      throw new TypeError(`MetricsWriter: path must be a non-empty string, got ${shown(path)}`);
    mkdirSync(dirname(path), { recursive: true });
  }

  /**
   * Append one record; `time` (ISO) is added unless present. The line is JSON as
   * `JSON.stringify` writes it (a non-finite number becomes `null`, an `undefined`
   * field is left out); a record that is not an object, or holds a BigInt, a
   * function, a symbol or a cycle, is refused naming the field, and nothing is written.
   */
  write(record: MetricRecord): void {
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      throw new TypeError(
        `MetricsWriter.write(${this.path}): a record must be an object, got ${Array.isArray(record) ? 'an array' : shown(record)}`,
      );
    let line: string;
    try {
      line = JSON.stringify({ ...record, time: record.time ?? new Date().toISOString() }, refuseUnwritable);
    } catch (error) {
      throw new TypeError(`MetricsWriter.write(${this.path}): ${(error as Error).message}`, { cause: error });
    }
    appendFileSync(this.path, line + '\n');
  }
}

/** JSON.stringify's replacer: what JSON cannot hold throws naming its field (a BigInt would throw unnamed, a function or symbol vanish). */
function refuseUnwritable(key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === 'bigint' || type === 'function' || type === 'symbol')
    throw new TypeError(
      `field ${JSON.stringify(key)} is a ${type}${type === 'bigint' ? ` (${String(value)}n)` : ''}, which JSON cannot hold`,
    );
  return value;
}

/**
 * Read a metrics file back. A torn last line (the process died mid-write) is
 * skipped; a malformed line elsewhere is an error naming the file and line.
 */
export function readMetrics(path: string): MetricRecord[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const records: MetricRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let record: unknown;
    let problem: string | null = null;
    let cause: unknown;
    try {
      record = JSON.parse(line);
      if (record === null || typeof record !== 'object' || Array.isArray(record))
        problem = `JSON ${Array.isArray(record) ? 'array' : record === null ? 'null' : typeof record}`;
    } catch (error) {
      problem = (error as Error).message;
      cause = error;
    }
    if (problem !== null) {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast) break;
      throw new Error(`${path}:${i + 1}: not a JSON object (${problem})`, { cause });
    }
    records.push(record as MetricRecord);
  }
  return records;
}

/** A NaN `upTo` would keep no numbered record (every `<=` is false): a file truncated with it loses them all. */
function checkTruncation(key: string, upTo: number, where: string): void {
  if (typeof key !== 'string' || key === '')
    throw new TypeError(`${where}: key must be a non-empty string, got ${shown(key)}`);
  if (typeof upTo !== 'number' || Number.isNaN(upTo))
    throw new RangeError(`${where}: upTo must be a number (not NaN), got ${shown(upTo)}`);
}

/**
 * Keep only the records a resumed run still stands behind: those with
 * `record[key] <= upTo` (e.g. steps up to the checkpoint it resumed from).
 */
export function truncateMetrics(records: MetricRecord[], key: string, upTo: number): MetricRecord[] {
  if (!Array.isArray(records)) throw new TypeError(`truncateMetrics: records must be an array, got ${shown(records)}`);
  checkTruncation(key, upTo, 'truncateMetrics');
  return records.filter((r) => typeof r[key] !== 'number' || (r[key] as number) <= upTo);
}

/** `truncateMetrics` applied to the file at `path`, rewritten atomically (a missing file is left missing). */
export async function truncateMetricsFile(path: string, key: string, upTo: number): Promise<void> {
  checkTruncation(key, upTo, 'truncateMetricsFile');
  if (!existsSync(path)) return;
  const kept = truncateMetrics(readMetrics(path), key, upTo);
  await writeFileAtomic(path, kept.map((r) => JSON.stringify(r)).join('\n') + (kept.length ? '\n' : ''));
}

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

export class MetricsWriter {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Append one record; `time` (ISO) is added unless present. */
  write(record: MetricRecord): void {
    const line = JSON.stringify({ ...record, time: record.time ?? new Date().toISOString() });
    appendFileSync(this.path, line + '\n');
  }
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
    try {
      records.push(JSON.parse(line) as MetricRecord);
    } catch (error) {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast) break;
      throw new Error(`${path}:${i + 1}: not a JSON object (${(error as Error).message})`, { cause: error });
    }
  }
  return records;
}

/**
 * Keep only the records a resumed run still stands behind: those with
 * `record[key] <= upTo` (e.g. steps up to the checkpoint it resumed from).
 */
export function truncateMetrics(records: MetricRecord[], key: string, upTo: number): MetricRecord[] {
  return records.filter((r) => typeof r[key] !== 'number' || (r[key] as number) <= upTo);
}

/** `truncateMetrics` applied to the file at `path`, rewritten atomically (a missing file is left missing). */
export async function truncateMetricsFile(path: string, key: string, upTo: number): Promise<void> {
  if (!existsSync(path)) return;
  const kept = truncateMetrics(readMetrics(path), key, upTo);
  await writeFileAtomic(path, kept.map((r) => JSON.stringify(r)).join('\n') + (kept.length ? '\n' : ''));
}

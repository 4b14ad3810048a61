/**
 * Writing trace rows as JSONL or Parquet in the data set's own schema (`messages`
 * as a list of {role, content}), so what this package writes reads back through
 * the same readers and in Python's `datasets`. Files are written to a temporary
 * name and renamed, so a reader never sees half a file.
 */
import { mkdirSync, createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { writeAtomically, writeFileAtomic } from '@molrl/progress';
import type { TraceMessage } from './types.js';

export interface TraceRow {
  id: string;
  messages: Array<Pick<TraceMessage, 'role' | 'content'>>;
  /** Other columns; written as they are in JSONL, as one JSON string column `meta` in Parquet. */
  [key: string]: unknown;
}

const STRING = { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' } as const;

/** The Parquet schema of trace rows: id, messages list<struct<role, content>>, meta (JSON text). */
type WriterSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];

export const TRACE_PARQUET_SCHEMA: WriterSchema = [
  { name: 'root', num_children: 3 },
  { name: 'id', ...STRING },
  { name: 'messages', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
  { name: 'role', ...STRING },
  { name: 'content', ...STRING },
  { name: 'meta', ...STRING },
];

/** Trace rows as a Parquet file's bytes, `rowGroupSize` rows per row group. */
export function traceRowsToParquet(rows: TraceRow[], rowGroupSize = 256): Uint8Array {
  // ByteWriter is synchronous, so write and finish return no promise to wait on.
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, schema: TRACE_PARQUET_SCHEMA });
  for (let start = 0; start < rows.length; start += rowGroupSize) {
    const group = rows.slice(start, start + rowGroupSize);
    void parquet.write({
      columnData: [
        { name: 'id', data: group.map((r) => r.id) },
        { name: 'messages', data: group.map((r) => r.messages.map((m) => ({ role: m.role, content: m.content }))) },
        {
          name: 'meta',
          data: group.map((r) => {
            const { id: _id, messages: _m, ...meta } = r;
            return JSON.stringify(meta);
          }),
        },
      ],
    });
  }
  void parquet.finish();
  return new Uint8Array(writer.getBuffer());
}

export async function writeTraceRows(path: string, rows: TraceRow[], format: 'jsonl' | 'parquet'): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  if (format === 'parquet') {
    await writeFileAtomic(path, traceRowsToParquet(rows));
    return;
  }
  await writeJsonlAtomic(path, rows);
}

/** JSONL written line by line to a temporary file, then renamed over `path`. */
export async function writeJsonlAtomic(path: string, rows: Iterable<unknown>): Promise<void> {
  await writeAtomically(path, async (tmp) => {
    const out = createWriteStream(tmp, { encoding: 'utf8' });
    try {
      for (const row of rows) {
        if (!out.write(JSON.stringify(row) + '\n'))
          await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    } catch (err) {
      out.destroy();
      throw err;
    }
  });
}

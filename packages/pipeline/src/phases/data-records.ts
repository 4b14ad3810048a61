/**
 * The data phase's records as the later phases read them back: each row of
 * traces.jsonl, grpo-tasks.jsonl and eval-tasks.jsonl is checked field by field,
 * so a damaged or hand-edited file fails with its path, line and field instead
 * of an error deep in labelling or a prompt that silently renders empty.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../jsonl.js';
import { readJsonFile } from '../json-file.js';
import {
  asRecord,
  brief,
  checkField as field,
  isCount,
  isFiniteNumber,
  isString,
  isText,
  type JsonRecord as Row,
} from '../record-check.js';
import type { RunFolder } from '../run-folder.js';
import type { DataManifest, TaskRecord, TraceRecord } from './data.js';

/** The roles the environment's traces are written with (what `compactTrace` and the labelling read). */
export const TRACE_ROLES: readonly string[] = ['system', 'user', 'assistant', 'tool-call', 'tool-response'];
const SPLITS: readonly string[] = ['train', 'validation'];

/** One row of traces.jsonl, checked (`where`: file:line). */
export function checkTraceRecord(value: unknown, where: string): TraceRecord {
  const row = asRecord(value, where);
  field(row, where, 'id', 'a string', isString);
  field(row, where, 'split', `one of ${SPLITS.map((s) => `'${s}'`).join(', ')}`, (v) => SPLITS.includes(v as string));
  field(row, where, 'kind', 'a string', isString);
  field(row, where, 'correct', 'a boolean', (v) => typeof v === 'boolean');
  field(row, where, 'n_steps', 'an integer >= 0', isCount);
  field(row, where, 'messages', 'a non-empty array of { role, content }', (v) => Array.isArray(v) && v.length > 0);
  (row.messages as unknown[]).forEach((m, i) => {
    const at = `${where}: messages[${i}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw new Error(`${at} must be an object { role, content }, got ${brief(m)}`);
    const message = m as Row;
    if (!TRACE_ROLES.includes(message.role as string))
      throw new Error(`${at}.role must be one of ${TRACE_ROLES.join(', ')}, got ${brief(message.role)}`);
    if (typeof message.content !== 'string')
      throw new Error(`${at}.content must be a string, got ${brief(message.content)}`);
  });
  return row as unknown as TraceRecord;
}

/** One row of grpo-tasks.jsonl or eval-tasks.jsonl, checked (`where`: file:line). */
export function checkTaskRecord(value: unknown, where: string): TaskRecord {
  const row = asRecord(value, where);
  for (const name of ['id', 'kind', 'question', 'answer', 'args', 'signature'])
    field(row, where, name, 'a non-empty string', isText);
  if (row.library !== undefined) field(row, where, 'library', 'a string', isString);
  return row as unknown as TaskRecord;
}

/** A data file of a run whose data phase is done: missing, it says how to make it again. */
function dataFile(run: RunFolder, name: string): string {
  const path = join(run.dataDir, name);
  if (!existsSync(path))
    throw new Error(
      `${path} is missing, but ${run.dir}/state.json records the data phase as done; ` +
        `make the data again with \`molrl data --out ${run.dir} --force\` (later phases start over)`,
    );
  return path;
}

/** traces.jsonl of the run, every row checked. */
export function readTraceRecords(run: RunFolder): TraceRecord[] {
  return readJsonl(dataFile(run, 'traces.jsonl'), checkTraceRecord);
}

/** grpo-tasks.jsonl or eval-tasks.jsonl of the run, every row checked. */
export function readTaskRecords(run: RunFolder, file: 'grpo-tasks.jsonl' | 'eval-tasks.jsonl'): TaskRecord[] {
  return readJsonl(dataFile(run, file), checkTaskRecord);
}

/** data/manifest.json of the run, the counts the report quotes checked; null when the data phase has not run. */
export function readDataManifest(run: RunFolder): DataManifest | null {
  const path = join(run.dataDir, 'manifest.json');
  if (!existsSync(path)) return null;
  const manifest = asRecord(readJsonFile(path), path, 'the data manifest');
  const part = (name: string, counts: readonly string[], optional: readonly string[] = []) => {
    const where = `${path}: ${name}`;
    const record = asRecord(manifest[name], where, 'this part');
    for (const f of counts) field(record, where, f, 'an integer >= 0', isCount);
    // Fields runs of older versions lack: checked where present.
    for (const f of optional) if (record[f] !== undefined) field(record, where, f, 'an integer >= 0', isCount);
    return record;
  };
  const traces = part('traces', ['train', 'validation', 'correct'], ['depot', 'seed']);
  field(traces, `${path}: traces`, 'meanSteps', 'a number >= 0', (v) => isFiniteNumber(v) && v >= 0);
  part('grpoTasks', ['count'], ['seed']);
  part('evalTasks', ['count'], ['seed']);
  return manifest as unknown as DataManifest;
}

/**
 * Checking the JSON records a run writes and reads back (data rows, evaluation
 * results, the data manifest) field by field: a damaged or hand-edited file
 * fails with its place and the field, not with an error deep in a later phase.
 */
import { shown } from './config.js';

export type JsonRecord = Record<string, unknown>;

/** A value as these errors show it: missing, or as a config error shows it, cut to 60 characters. */
export function brief(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = shown(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `value` as an object; anything else throws naming `where` and `what` it should be. */
export function asRecord(value: unknown, where: string, what = 'a row'): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${where}: ${what} must be a JSON object, got ${brief(value)}`);
  return value as JsonRecord;
}

/** Throws naming `where`, the field and what it must be, unless `ok(record[name])`. */
export function checkField(
  record: JsonRecord,
  where: string,
  name: string,
  what: string,
  ok: (v: unknown) => boolean,
): void {
  if (!ok(record[name])) throw new Error(`${where}: field "${name}" must be ${what}, got ${brief(record[name])}`);
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isText = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '';
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
/** A fraction in [0, 1] (a pass rate, a share of correct samples). */
export const isFraction = (v: unknown): boolean => isFiniteNumber(v) && v >= 0 && v <= 1;

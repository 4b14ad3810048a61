/**
 * The steps since the last record written to metrics.jsonl, and the record that
 * sums them up: transformers' Trainer logs, every `logging_steps`, the loss
 * averaged over the steps since the last log with the last step's learning rate
 * and gradient norm; TRL's trainers average each per-step metric over those
 * steps. With one step in the window the summary is that step's record.
 *
 * The window's running sums go into trainer_state.json (`logWindow`) when a
 * checkpoint falls between two records, so a resumed run writes the records an
 * uninterrupted one would.
 */
import type { StepRecord } from './task.js';

/**
 * Keys whose summary is the last step's value, not the window's mean: the step
 * number, the learning rate and gradient norm (as transformers logs them), the
 * epoch position, counters (`skipped_steps`, GRPO's `iteration` within a
 * rollout batch, any `*_seen` running total) and a timestamp.
 */
export const LAST_VALUE_METRICS: ReadonlySet<string> = new Set([
  'step',
  'lr',
  'grad_norm',
  'epoch',
  'skipped_steps',
  'iteration',
  'time',
]);

/** Whether a record key is summarised by its last value (else by its mean). */
export function isLastValueMetric(key: string): boolean {
  return LAST_VALUE_METRICS.has(key) || key.endsWith('_seen');
}

/** A number as JSON can hold it: non-finite values as the strings 'NaN', 'Infinity', '-Infinity'. */
type StoredNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** One key of the window: the sum and count of its values over the window's counted steps, and its last value. */
export interface LogWindowEntry {
  key: string;
  sum: StoredNumber;
  count: number;
  last: StoredNumber;
}

/** `logWindow` in trainer_state.json: the steps since the last record written, as running sums. */
export interface LogWindowState {
  steps: number;
  metrics: LogWindowEntry[];
}

interface Entry {
  sum: number;
  count: number;
  last: number;
}

const store = (v: number): StoredNumber => (Number.isFinite(v) ? v : (String(v) as StoredNumber));

function load(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  throw new Error(`${where} must be a number (or 'NaN', 'Infinity', '-Infinity')`);
}

export class LogWindow {
  private entries = new Map<string, Entry>();
  private lastKeys: string[] = [];
  /** Steps in the window. */
  steps = 0;

  /**
   * Add one step's record. A step whose loss or gradient norm is not finite (a
   * step skipped with `skipNonFiniteSteps`) is not counted in the means; a key
   * no counted step has keeps the last value it had.
   */
  add(record: StepRecord): void {
    const counted = Number.isFinite(record.loss) && Number.isFinite(record.grad_norm);
    for (const [key, value] of Object.entries(record)) {
      let entry = this.entries.get(key);
      if (!entry) this.entries.set(key, (entry = { sum: 0, count: 0, last: value }));
      entry.last = value;
      if (counted) {
        entry.sum = entry.count ? entry.sum + value : value;
        entry.count++;
      }
    }
    this.lastKeys = Object.keys(record);
    this.steps++;
  }

  /** The last step's keys first, in its order, then keys only earlier steps had. */
  private keyOrder(): string[] {
    return [...this.lastKeys, ...[...this.entries.keys()].filter((k) => !this.lastKeys.includes(k))];
  }

  /** The record of the window, its keys in `keyOrder`. */
  summary(): StepRecord {
    const record: Record<string, number> = {};
    for (const key of this.keyOrder()) {
      const e = this.entries.get(key)!;
      record[key] = isLastValueMetric(key) || !e.count ? e.last : e.sum / e.count;
    }
    return record as StepRecord;
  }

  clear(): void {
    this.entries.clear();
    this.lastKeys = [];
    this.steps = 0;
  }

  /** The window for trainer_state.json; undefined when it is empty. */
  state(): LogWindowState | undefined {
    if (!this.steps) return undefined;
    return {
      steps: this.steps,
      metrics: this.keyOrder().map((key) => {
        const e = this.entries.get(key)!;
        return { key, sum: store(e.sum), count: e.count, last: store(e.last) };
      }),
    };
  }

  /** Take the window back from trainer_state.json (`undefined`: a checkpoint without one, an empty window). */
  restore(state: unknown, file: string, globalStep: number): void {
    if (state === undefined) {
      this.clear();
      return;
    }
    const where = `loadCheckpoint: ${file}: field 'logWindow'`;
    const s = state as Partial<LogWindowState> | null;
    if (typeof s !== 'object' || s === null || !Number.isInteger(s.steps) || s.steps! < 1 || !Array.isArray(s.metrics))
      throw new Error(`${where} must be { steps: an integer >= 1, metrics: [...] }`);
    if (s.steps! > globalStep) throw new Error(`${where}: steps (${s.steps}) exceeds globalStep (${globalStep})`);
    const entries = new Map<string, Entry>();
    for (const m of s.metrics as unknown[]) {
      const e = m as Partial<LogWindowEntry> | null;
      if (typeof e !== 'object' || e === null || typeof e.key !== 'string' || entries.has(e.key))
        throw new Error(`${where}: each metric needs a distinct string 'key'`);
      if (!Number.isInteger(e.count) || e.count! < 0 || e.count! > s.steps!)
        throw new Error(`${where}: '${e.key}' count must be an integer from 0 to steps`);
      entries.set(e.key, {
        sum: load(e.sum, `${where}: '${e.key}' sum`),
        count: e.count!,
        last: load(e.last, `${where}: '${e.key}' last`),
      });
    }
    this.entries = entries;
    this.lastKeys = [...entries.keys()];
    this.steps = s.steps!;
  }
}

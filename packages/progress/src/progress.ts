/**
 * Progress of long work: a bar with rate and ETA on a terminal (cli-progress),
 * plain log lines at a bounded rate otherwise (CI logs, pipes): one line per
 * `lineIntervalMs`, plus the first completion at once and the final count at
 * `stop()`.
 */
import cliProgress from 'cli-progress';
import { PROGRESS_MODES, isProgressMode, type ProgressMode } from './mode.js';

/**
 * Where progress goes: process.stderr or any text sink. Only what is used is named (the
 * bar's cursor moves are escape codes written to it), so the public types need no
 * `@types/node` and a plain object can collect the lines.
 */
export interface ProgressStream {
  write(text: string): unknown;
  /** A bar is drawn only on a TTY (mode 'auto'). */
  isTTY?: boolean;
  /** Width of the terminal in columns. */
  columns?: number;
}

export interface ProgressOptions {
  /** Unit shown after counts and rates, e.g. "tokens", "steps". */
  unit?: string;
  /** Where to draw; default process.stderr. */
  stream?: ProgressStream;
  /** 'auto' (default): bar on a TTY, lines otherwise; 'bar', 'lines' or 'silent' to force. */
  mode?: ProgressMode;
  /** Minimum milliseconds between two plain log lines (default 5000). */
  lineIntervalMs?: number;
  /**
   * Units already done before this start (a resumed run's steps, default 0): the bar
   * starts there, and the rate and ETA count only the units done since.
   */
  initial?: number;
}

export interface Progress {
  /** Report `done` units finished so far, with an optional short detail (e.g. "loss 2.31"). */
  update(done: number, detail?: string): void;
  /** Grow or shrink the total (work discovered as it goes). */
  setTotal(total: number): void;
  stop(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(1) : rate.toPrecision(2);
}

/** `value` as an error message shows it: strings quoted, everything else by `String`. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

const OPTION_KEYS = ['unit', 'stream', 'mode', 'lineIntervalMs', 'initial'];

/** Whether `value` is a count of units: a finite number >= 0 (two comparisons: `update` may run per token). */
const isCount = (value: unknown): value is number => typeof value === 'number' && value >= 0 && value < Infinity;

export function startProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  if (typeof label !== 'string') throw new TypeError(`startProgress: label must be a string, got ${shown(label)}`);
  const where = `startProgress(${JSON.stringify(label)})`;
  if (!isCount(total)) throw new RangeError(`${where}: total must be a finite number >= 0, got ${shown(total)}`);
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where}: options must be an object, got ${shown(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key))
      throw new Error(`${where}: unknown option ${JSON.stringify(key)} (known: ${OPTION_KEYS.join(', ')})`);
  }
  const stream: ProgressStream = options.stream ?? process.stderr;
  if (typeof stream !== 'object' || typeof stream.write !== 'function')
    throw new TypeError(`${where}: stream must be an object with a write(text) method, got ${shown(stream)}`);
  const unit = options.unit ?? '';
  if (typeof unit !== 'string') throw new TypeError(`${where}: unit must be a string, got ${shown(unit)}`);
  const mode = options.mode ?? 'auto';
  if (!isProgressMode(mode))
    throw new Error(`startProgress: mode must be one of ${PROGRESS_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const initial = options.initial ?? 0;
  if (!isCount(initial)) throw new Error(`startProgress: initial must be a finite number >= 0, got ${shown(initial)}`);
  const interval = options.lineIntervalMs ?? 5000;
  if (!isCount(interval))
    throw new RangeError(`${where}: lineIntervalMs must be a finite number >= 0, got ${shown(interval)}`);
  // O(1) checks of every update and total: NaN, a negative or an infinite count would be drawn as it is.
  const checkDone = (done: number) => {
    if (!isCount(done)) throw new RangeError(`${where}.update: done must be a finite number >= 0, got ${shown(done)}`);
  };
  const checkTotal = (t: number) => {
    if (!isCount(t)) throw new RangeError(`${where}.setTotal: total must be a finite number >= 0, got ${shown(t)}`);
  };
  const started = performance.now();
  let currentTotal = total;
  const rateOf = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    return seconds > 0 ? Math.max(0, done - initial) / seconds : 0;
  };

  if (mode === 'silent') return { update: (done) => checkDone(done), setTotal: (t) => checkTotal(t), stop() {} };

  if (mode === 'bar' || (mode === 'auto' && stream.isTTY)) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted} | {detail}`,
        // cli-progress's types ask for a Node stream; it only writes to it and reads isTTY/columns.
        stream: stream as NodeJS.WritableStream,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, initial, { rate: '0', detail: '' });
    return {
      update(done, detail = '') {
        checkDone(done);
        bar.update(done, { rate: formatRate(rateOf(done)), detail });
      },
      setTotal(t) {
        checkTotal(t);
        currentTotal = t;
        bar.setTotal(t);
      },
      stop: () => bar.stop(),
    };
  }

  let lastLogged = -Infinity;
  let lastDone = 0;
  let lastDetail = '';
  // The first completion is logged at once; after it every line is rate-limited (a caller growing the
  // total with each unit, work discovered as it goes, is "complete" at every update).
  let completionLogged = false;
  let logged = { done: Number.NaN, total: Number.NaN };
  const log = (done: number, detail: string) => {
    const rate = rateOf(done);
    const eta = rate > 0 ? (currentTotal - done) / rate : Number.NaN;
    const pct = currentTotal > 0 ? ` ${((100 * done) / currentTotal).toFixed(0)}%` : '';
    stream.write(
      `${label}: ${done}/${currentTotal} ${unit}${pct} (${formatRate(rate)} ${unit}/s, ETA ${formatDuration(eta)})${detail ? ` ${detail}` : ''}\n`,
    );
    logged = { done, total: currentTotal };
  };
  return {
    update(done, detail = '') {
      checkDone(done);
      lastDone = done;
      lastDetail = detail;
      const now = performance.now();
      const firstCompletion = done >= currentTotal && !completionLogged;
      if (!firstCompletion && now - lastLogged < interval) return;
      if (done >= currentTotal) completionLogged = true;
      lastLogged = now;
      log(done, detail);
    },
    setTotal(t) {
      checkTotal(t);
      currentTotal = t;
    },
    stop() {
      if (lastLogged === -Infinity) return;
      // The final count, when the rate limit held it back.
      if (lastDone < currentTotal) log(lastDone, 'stopped');
      else if (logged.done !== lastDone || logged.total !== currentTotal) log(lastDone, lastDetail);
    },
  };
}

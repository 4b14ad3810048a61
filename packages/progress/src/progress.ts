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

export function startProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream: ProgressStream = options.stream ?? process.stderr;
  const unit = options.unit ?? '';
  const mode = options.mode ?? 'auto';
  if (!isProgressMode(mode))
    throw new Error(`startProgress: mode must be one of ${PROGRESS_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const initial = options.initial ?? 0;
  if (!Number.isFinite(initial) || initial < 0)
    throw new Error(`startProgress: initial must be a finite number >= 0, got ${String(initial)}`);
  const started = performance.now();
  let currentTotal = total;
  const rateOf = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    return seconds > 0 ? Math.max(0, done - initial) / seconds : 0;
  };

  if (mode === 'silent') return { update() {}, setTotal() {}, stop() {} };

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
        bar.update(done, { rate: formatRate(rateOf(done)), detail });
      },
      setTotal(t) {
        currentTotal = t;
        bar.setTotal(t);
      },
      stop: () => bar.stop(),
    };
  }

  const interval = options.lineIntervalMs ?? 5000;
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

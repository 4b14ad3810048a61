/**
 * Progress for long work: a bar with rate and ETA on a TTY (cli-progress), plain
 * log lines otherwise, and optionally one JSON line of metrics per update.
 */
import { appendFileSync } from 'node:fs';
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** Show progress (default: true on a TTY). */
  show?: boolean;
  /** Append JSON lines {step, total, ...metrics, time} here. */
  metricsPath?: string;
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private lastLog = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly options: ProgressOptions = {},
  ) {
    const show = options.show ?? Boolean(process.stderr.isTTY);
    this.bar =
      show && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}`, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : null;
    this.bar?.start(total, 0, { rate: '0' });
    this.showLines = show && !this.bar;
  }

  private readonly showLines: boolean;

  update(step: number, metrics: Record<string, number> = {}): void {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? step / seconds : 0;
    this.bar?.update(step, { rate: rate.toFixed(0) });
    if (this.showLines && (Date.now() - this.lastLog > 2000 || step === this.total)) {
      this.lastLog = Date.now();
      const eta = rate > 0 ? ((this.total - step) / rate).toFixed(0) : '?';
      process.stderr.write(`${this.label}: ${step}/${this.total} (${rate.toFixed(0)}/s, ETA ${eta}s)\n`);
    }
    if (this.options.metricsPath) {
      appendFileSync(this.options.metricsPath, JSON.stringify({ task: this.label, step, total: this.total, ...metrics, time: new Date().toISOString() }) + '\n');
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

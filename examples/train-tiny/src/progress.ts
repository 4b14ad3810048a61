/** Per-step output: a progress bar with rate/ETA on a TTY (cli-progress), plain lines otherwise. */
import cliProgress from 'cli-progress';
import type { StepMetrics } from './train.js';

export interface Progress {
  step(row: StepMetrics): void;
  stop(): void;
}

function line(row: StepMetrics, total: number): string {
  return `step ${String(row.step).padStart(String(total).length)}/${total}  loss ${row.loss.toFixed(4)}  acc ${(row.tokenAccuracy * 100).toFixed(1).padStart(5)}%  lr ${row.lr.toExponential(2)}  |g| ${row.gradNorm.toFixed(2)}  ${row.ms.toFixed(0)} ms`;
}

export function createProgress(total: number): Progress {
  if (!process.stdout.isTTY) {
    return { step: (row) => console.log(line(row, total)), stop: () => {} };
  }
  const multi = new cliProgress.MultiBar(
    {
      format: 'train [{bar}] {percentage}% | {value}/{total} steps | {rate} steps/s | ETA {eta}s | loss {loss}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = multi.create(total, 0, { loss: '-', rate: '-' });
  const start = performance.now();
  return {
    step(row) {
      multi.log(line(row, total) + '\n');
      const rate = row.step / ((performance.now() - start) / 1000);
      bar.update(row.step, { loss: row.loss.toFixed(4), rate: rate.toFixed(1) });
    },
    stop() {
      multi.stop();
    },
  };
}

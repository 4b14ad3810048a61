/**
 * Progress of long work (loading a multi-GB checkpoint): a bar with rate and
 * ETA on a TTY (cli-progress), plain log lines otherwise.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

export function startProgress(label: string, total: number, unit: string): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted} | {detail}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(total, 0, { rate: '0', detail: '' });
    return {
      update(done, detail = '') {
        const seconds = (Date.now() - started) / 1000;
        bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : '0', detail });
      },
      stop: () => bar.stop(),
    };
  }
  let lastLogged = 0;
  const started = Date.now();
  return {
    update(done, detail = '') {
      const now = Date.now();
      if (done < total && now - lastLogged < 5000) return;
      lastLogged = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? done / seconds : 0;
      const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
      process.stderr.write(`${label}: ${done}/${total} ${unit} (${rate.toFixed(1)} ${unit}/s, ETA ${eta}s) ${detail}\n`);
    },
    stop() {},
  };
}
